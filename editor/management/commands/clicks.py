"""`manage.py clicks`: how many taps it takes to fix a mask, by RITM's simulated clicker."""

from pathlib import Path

import cv2
import numpy as np
from django.core.management.base import BaseCommand, CommandError

from editor.imaging import advice, refine, segment, taps
from editor.reports import clicks

from ._eval import _session, add_eval_arguments, photos, set_folders


class Command(BaseCommand):
    help = (
        "Simulate up to 20 clicks on each evaluation photo (RITM's clicker, the first mask "
        "counting as click 1) and print, per set and design, the mean IoU after 0, 1, 3 and "
        "5 taps, NoC@85/90, photos that never reach 0.9 and photos a tap left worse."
    )

    def add_arguments(self, parser):
        add_eval_arguments(parser)
        parser.add_argument("--sets", help="comma-separated sets of --eval (default: all)")
        parser.add_argument("--limit", type=int, help="at most this many photos of each set")
        parser.add_argument("--only", help="only photos whose name contains this")
        parser.add_argument(
            "--design",
            default=",".join(taps.DESIGNS),
            help=f"comma-separated tap designs, side by side (default: %(default)s; "
            f"the site uses {taps.DESIGN})",
        )
        parser.add_argument("--threads", type=int, help="threads for the network and OpenCV")
        parser.add_argument(
            "--advisor",
            action="store_true",
            help="also count where the advisor's second look fires",
        )

    def handle(self, *args, eval: Path, cache: Path | None, model: str, **options):
        designs = options["design"].split(",")
        unknown = [d for d in designs if d not in taps.DESIGNS]
        if unknown:
            raise CommandError(f"unknown design {unknown[0]!r}: one of {', '.join(taps.DESIGNS)}")
        folders = set_folders(eval, options["sets"].split(",") if options["sets"] else None)
        if options["threads"]:
            segment.use_threads(options["threads"])  # before the session is built
        session = _session(model)
        summaries, worse, fired = [], [], {"bad": [0, 0], "good": [0, 0]}
        for folder in folders:
            runs: dict[str, list[clicks.Run]] = {design: [] for design in designs}
            for path in photos(folder, options["limit"]):
                if options["only"] and options["only"] not in path.stem:
                    continue
                rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
                truth = cv2.imread(str(folder / "masks" / f"{path.stem}.png"), 0) > 127
                key = f"{folder.name}__{path.stem}__{model}"
                soft = self._saliency(rgb, session, cache, key)
                crops = clicks.DiskCache(cache / "crops", key) if cache else None
                for design in designs:
                    run = clicks.simulate(
                        rgb, truth, refine.refine(rgb, soft), session=session, cache=crops,
                        name=path.stem, design=design,
                    )  # fmt: skip
                    runs[design].append(run)
                    if run.ious[-1] < run.ious[0] - 1e-6:
                        worse.append(f"{folder.name}/{path.stem} ({design})")
                    if options["verbosity"] > 1:
                        shown = " ".join(f"{x:.3f}" for x in run.ious)
                        self.stdout.write(f"{folder.name}/{path.stem} {design}: {shown}")
                if options["advisor"]:
                    kind = "bad" if runs[designs[0]][-1].ious[0] < 0.8 else "good"
                    plain = segment.upscale(soft, rgb.shape)
                    fired[kind][0] += advice.second_look(rgb, plain, session) is not None
                    fired[kind][1] += 1
            summaries += [clicks.summarise(folder.name, d, r) for d, r in runs.items()]
        self._print(summaries, cache, worse)
        if options["advisor"]:
            (bad, bads), (good, goods) = fired["bad"], fired["good"]
            self.stdout.write(
                f"advisor, check_outline (second look): fires on {bad} of {bads} masks under "
                f"IoU 0.8 and on {good} of {goods} others"
            )

    def _saliency(self, rgb, session, cache: Path | None, key: str) -> np.ndarray:
        """The network's map of the whole photo, kept in `cache` when one is given."""
        stored = cache / f"{key}.npy" if cache else None
        if stored and stored.is_file():
            return np.load(stored)
        soft = segment.saliency(rgb, session)
        if stored:
            stored.parent.mkdir(parents=True, exist_ok=True)
            np.save(stored, soft)
        return soft

    def _print(self, summaries: list[clicks.Summary], cache: Path | None, worse) -> None:
        after = " ".join(f"{f'IoU@{k}':>6}" for k in clicks.SHOWN)
        self.stdout.write(
            f"{'set':12} {'design':8} {'photos':>6} {after} {'NoC85':>6} {'NoC90':>6} "
            f"{'<0.9@20':>7} {'worse@5':>7} {'worse':>6} {'s/tap':>6}"
        )
        for s in summaries:
            ious = " ".join(f"{s.mean_iou[k]:>6.3f}" for k in clicks.SHOWN)
            self.stdout.write(
                f"{s.dataset:12} {s.design:8} {s.photos:>6} {ious} {s.noc[0.85]:>6.2f} "
                f"{s.noc[0.9]:>6.2f} {s.never_90:>7} {s.worse_at_5:>7} {s.worse_at_end:>6} "
                f"{s.seconds_per_tap:>6.2f}"
            )
        self.stdout.write(
            f"IoU@k: mean IoU after k taps; NoC: clicks to the IoU, the first mask being click 1, "
            f"{clicks.MAX_CLICKS} if never; <0.9@20: photos that never reach 0.9; worse@5, worse: "
            f"photos below their IoU with no taps after 5 taps, after their last"
        )
        if worse:
            self.stdout.write("ending below where they started: " + ", ".join(worse))
        if cache:  # crops an earlier run saw skip the network: s/tap is then not a timing
            self.stdout.write(f"(crops found in {cache} skip the network)")
