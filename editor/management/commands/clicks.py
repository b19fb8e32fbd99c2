"""`manage.py clicks`: how many taps it takes to fix a mask, by the simulated-click protocol."""

from pathlib import Path

import cv2
import numpy as np
from django.core.management.base import BaseCommand

from editor.imaging import advice, refine, segment
from editor.reports import clicks

from ._eval import add_eval_arguments, datasets_and_session


class Command(BaseCommand):
    help = (
        "Simulate clicks on each evaluation photo (each at the heart of the largest error) "
        "and print the mean IoU after 0, 1, 2, 3 and 5 of them, NoC@85/90 and seconds per click."
    )

    def add_arguments(self, parser):
        add_eval_arguments(parser)
        parser.add_argument("--only", help="only photos whose name contains this")

    def handle(self, *args, eval: Path, cache: Path | None, model: str, only=None, **options):
        datasets, session = datasets_and_session(eval, model)
        summaries, fired = [], {"bad": [0, 0], "good": [0, 0]}
        for dataset in datasets:
            runs = []
            for path in sorted((eval / dataset / "images").glob("*.jpg")):
                if only and only not in path.stem:
                    continue
                rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
                truth = cv2.imread(str(eval / dataset / "masks" / f"{path.stem}.png"), 0) > 127
                soft = self._saliency(rgb, session, cache, f"{dataset}__{path.stem}__{model}")
                crops = (
                    clicks.DiskCache(cache / "crops", f"{dataset}__{path.stem}__{model}")
                    if cache
                    else None
                )
                run = clicks.simulate(
                    rgb,
                    truth,
                    refine.refine(rgb, soft),
                    session=session,
                    cache=crops,
                    name=path.stem,
                )
                runs.append(run)
                plain = segment.upscale(soft, rgb.shape)
                kind = "bad" if run.ious[0] < 0.8 else "good"
                fired[kind][0] += advice.second_look(rgb, plain, session) is not None
                fired[kind][1] += 1
                if options["verbosity"] > 1:
                    self.stdout.write(
                        f"{dataset}/{path.stem}: " + " ".join(f"{x:.3f}" for x in run.ious)
                    )
            summaries.append(clicks.summarise(dataset, runs))
        self._print(summaries, cache)
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

    def _print(self, summaries: list[clicks.Summary], cache: Path | None) -> None:
        # With a cache, crops seen by an earlier run skip the network: say so beside the time.
        cached = f" (crops found in {cache} skip the network)" if cache else ""
        shown = " ".join(f"{f'{k} clicks':>9}" for k in clicks.SHOWN)
        self.stdout.write(f"{'set':8} {'photos':>6}  mean IoU after {shown}")
        for s in summaries:
            ious = " ".join(f"{s.mean_iou[k]:>9.3f}" for k in clicks.SHOWN)
            self.stdout.write(f"{s.dataset:8} {s.photos:>6}  {'':14} {ious}")
        self.stdout.write("")
        for s in summaries:
            under = ", ".join(f"{s.under_half[k]} after {k}" for k in clicks.SHOWN)
            verdict = "met" if s.met() else "NOT met"
            self.stdout.write(
                f"{s.dataset}: under IoU 0.5: {under}; "
                f"NoC@85 within {clicks.CLICKS}: {s.reached_85}/{s.photos}, "
                f"NoC@90: {s.reached_90}/{s.photos}; "
                f"{s.seconds_per_click:.2f} s per click{cached}; "
                f"goal (3 clicks close half the gap, a third of the failures left): {verdict}"
            )
