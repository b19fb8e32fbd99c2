"""`manage.py advice_report`: is each advisor warning right? Precision and recall against the
warnings people judged true by looking (docs/advice-truths.json), for an earlier commit's advisor
beside today's, in one run. `--ring FOLDER` reports instead where the second look's ring lands.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from editor.imaging import advice, refine, segment
from editor.imaging.decode import to_rgb
from editor.imaging.errors import ModelError
from editor.worker import engine

from ._eval import add_eval_arguments

TRUTHS = Path(settings.BASE_DIR) / "docs" / "advice-truths.json"
BEFORE = "a343379"  # the advisor before issue 20 put it right
LEGEND = (
    "\nprecision: of the photos warned, the share that deserve it; recall: of those that\n"
    "deserve it, the share warned; of: how many photos were judged to deserve it.\n"
)
IN_REPO = {"samples": "static/img/samples", "data": "tests/data"}  # photos the repo ships

Fired = Callable[..., set[str]]  # (photo, network map, refined mask, session) -> codes


class Command(BaseCommand):
    help = (
        "Precision and recall of each advisor warning against docs/advice-truths.json, "
        "an earlier commit's advisor beside today's; or, with --ring, where the ring lands."
    )

    def add_arguments(self, parser):
        add_eval_arguments(parser)
        parser.add_argument("--truths", type=Path, default=TRUTHS, help="(%(default)s)")
        parser.add_argument(
            "--compare-with",
            default=BEFORE,
            metavar="REV",
            help="git revision whose advisor is shown beside today's (%(default)s)",
        )
        parser.add_argument(
            "--ring",
            type=Path,
            metavar="FOLDER",
            help="a data set with masks/: how often the second look's ring lands on a real error",
        )
        parser.add_argument("--limit", type=int, help="only the first N photos of --ring")

    def handle(self, *args, eval: Path, cache: Path | None, model: str, **options):
        try:
            session = engine.session(model)
        except ModelError as exc:
            raise CommandError(str(exc)) from None
        then = _advisor_at(options["compare_with"])
        maps = _Maps(cache, model, session)
        versions = {options["compare_with"]: _fired_then(then), "today": _fired_today}
        if options["ring"]:
            rings = {options["compare_with"]: _ring_then(then), "today": _ring_today}
            return self._ring(options["ring"], options["limit"], maps, rings, session)
        self._truths(options["truths"], eval, maps, versions, session)

    def _truths(self, path: Path, eval: Path, maps, versions: dict[str, Fired], session) -> None:
        truths = json.loads(path.read_text())["photos"]
        scores = {version: Scores() for version in versions}
        missing = []
        for key, truth in truths.items():
            photo = _photo_path(key, eval)
            if not photo.is_file():
                missing.append(key)
                continue
            rgb = _read(photo)
            soft, shown = maps.get(rgb, key), maps.shown(rgb, key)
            for version, fired in versions.items():
                scores[version].add(key, truth, fired(rgb, soft, shown, session))
        self.stdout.write(
            f"{len(truths) - len(missing)} labelled photos"
            + (f" ({len(missing)} not found: {', '.join(missing[:3])}…)" if missing else "")
        )
        self.stdout.write(f"{'warning':22} " + " ".join(f"{v[:14]:>22}" for v in versions))
        self.stdout.write(
            f"{'':22} " + " ".join(f"{'precision  recall  of':>22}" for _ in versions)
        )
        for code in advice.ADVICE:
            cells = [scores[v].cell(code) for v in versions]
            self.stdout.write(f"{code:22} " + " ".join(f"{c:>22}" for c in cells))
        self.stdout.write(LEGEND)
        for version, score in scores.items():
            for code in advice.ADVICE:
                wrong = score.wrong.get(code)
                if wrong:
                    self.stdout.write(f"{version} {code}: {', '.join(wrong)}")

    def _ring(self, folder: Path, limit: int | None, maps, rings: dict, session) -> None:
        photos = sorted((folder / "images").glob("*.jpg"))[:limit]
        if not photos:
            raise CommandError(f"no photos in {folder}/images")
        counts = {version: Ring() for version in rings}
        errors = 0
        for path in photos:
            rgb = _read(path)
            truth = cv2.imread(str(folder / "masks" / f"{path.stem}.png"), 0) > 127
            key = f"{folder.name}/{path.stem}"
            soft, shown = maps.get(rgb, key), maps.shown(rgb, key)
            regions = error_regions(shown > 0.5, truth)
            errors += bool(regions.any())
            for version, ring in rings.items():
                found = ring(rgb, segment.upscale(soft, rgb.shape), session, shown)
                counts[version].add(regions, found.where if found else None)
        self.stdout.write(
            f"{len(photos)} photos of {folder}, {errors} with an error region of meaningful size "
            f"(the refined mask against the hand mask, {ERROR_SHARE:.0%} of the subject or more)"
        )
        for version, c in counts.items():
            self.stdout.write(
                f"{version:>10}: ring on {c.fired} photos, inside a real error on {c.inside} "
                f"({c.inside / max(c.fired, 1):.0%} of rings); photos with an error that got a "
                f"ring inside one: {c.inside} of {errors} ({c.inside / max(errors, 1):.0%})"
            )


@dataclass
class Scores:
    counts: dict = field(default_factory=dict)  # code -> [true pos., false pos., false neg.]
    wrong: dict = field(default_factory=dict)  # code -> photos where the advisor was wrong

    def add(self, key: str, truth: dict, fired: set[str]) -> None:
        for code in advice.ADVICE:
            judged = truth.get(code)
            if judged is None:  # "n/a": nobody can tell by looking
                continue
            said = code in fired
            row = self.counts.setdefault(code, [0, 0, 0])
            row[0] += said and judged
            row[1] += said and not judged
            row[2] += judged and not said
            if said != judged:
                self.wrong.setdefault(code, []).append(("missed " if judged else "false ") + key)

    def cell(self, code: str) -> str:
        tp, fp, fn = self.counts.get(code, [0, 0, 0])
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        recall = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
        return f"{precision:>9} {recall:>7} {tp + fn:>3}"


ERROR_SHARE = 0.05  # an error region smaller than this share of the subject is not worth a ring


def error_regions(shown: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Labels of the places where the mask is wrong by a meaningful amount (0: right)."""
    wrong = (shown ^ truth).astype(np.uint8)
    wrong = cv2.morphologyEx(wrong, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))  # not the outline
    count, labels, stats, _ = cv2.connectedComponentsWithStats(wrong, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= ERROR_SHARE * max(int(truth.sum()), 1)
    big[0] = False
    return np.where(big[labels], labels, 0)


@dataclass
class Ring:
    fired: int = 0
    inside: int = 0

    def add(self, regions: np.ndarray, where: tuple[int, int] | None) -> None:
        if where is None:
            return
        self.fired += 1
        self.inside += bool(regions[where[1], where[0]])


class _Maps:
    """The network's map of each photo, from --cache when it has one."""

    def __init__(self, cache: Path | None, model: str, session) -> None:
        self.cache, self.model, self.session = cache, model, session

    def get(self, rgb: np.ndarray, key: str) -> np.ndarray:
        return self._kept(key, "", lambda: segment.saliency(rgb, self.session))

    def shown(self, rgb: np.ndarray, key: str) -> np.ndarray:
        """The refined mask the visitor is shown (kept as 8 bits, as the worker stores it)."""
        made = lambda: np.round(refine.refine(rgb, self.get(rgb, key)) * 255).astype(np.uint8)  # noqa: E731
        return self._kept(key, "-refined", made).astype(np.float32) / 255

    def _kept(self, key: str, kind: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        name = f"{key.replace('/', '__')}__{self.model}{kind}.npy"
        stored = self.cache / name if self.cache else None
        if stored and stored.is_file():
            return np.load(stored)
        made = make()
        if stored:
            np.save(stored, made)
        return made


def _fired_today(rgb: np.ndarray, soft: np.ndarray, shown: np.ndarray, session) -> set[str]:
    plain = segment.upscale(soft, rgb.shape)
    found = {a.code for tool in ("portrait", "cutout") for a in advice.advise(rgb, plain, tool)}
    ring = _ring_today(rgb, plain, session, shown)
    return found | ({ring.code} if ring else set())


def _ring_today(rgb: np.ndarray, plain: np.ndarray, session, shown: np.ndarray):
    return advice.second_look(rgb, shown, session)


def _fired_then(then) -> Fired:
    def fired(rgb: np.ndarray, soft: np.ndarray, shown: np.ndarray, session) -> set[str]:
        # As the worker called it then: the plain mask for the warnings and the ring.
        plain = segment.upscale(soft, rgb.shape)
        found = {a.code for tool in ("portrait", "cutout") for a in then.advise(rgb, plain, tool)}
        ring = then.second_look(rgb, plain, session)
        return found | ({ring.code} if ring else set())

    return fired


def _ring_then(then) -> Callable:
    # As the worker called it then: on the plain mask.
    return lambda rgb, plain, session, shown: then.second_look(rgb, plain, session)


def _advisor_at(rev: str):
    """The advice module of `rev`'s editor/imaging, imported under its own package name."""
    root = Path(settings.BASE_DIR)
    try:
        tar = subprocess.run(
            ["git", "-C", str(root), "archive", rev, "editor/imaging"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise CommandError(f"cannot read the advisor at {rev!r} from git: {exc}") from None
    folder = Path(tempfile.mkdtemp(prefix="advisor-"))
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(folder, filter="data")
    package = "imaging_" + re.sub(r"\W", "_", rev)
    (folder / "editor" / "imaging").rename(folder / package)
    sys.path.insert(0, str(folder))
    return importlib.import_module(f"{package}.advice")


def _photo_path(key: str, eval: Path) -> Path:
    dataset, name = key.split("/", 1)
    if dataset in IN_REPO:
        return Path(settings.BASE_DIR) / IN_REPO[dataset] / f"{name}.jpg"
    return eval / dataset / "images" / f"{name}.jpg"


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return to_rgb(im)
