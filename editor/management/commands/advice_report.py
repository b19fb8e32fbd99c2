"""How often each advisor warning fires on the evaluation photos, and on which."""

from collections import defaultdict
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from editor.imaging import advice, measure, segment
from editor.imaging.decode import to_rgb
from editor.worker import engine

from ._eval import add_eval_arguments


class Command(BaseCommand):
    help = "Count, per advisor warning, the evaluation photos it fires on (per data set and total)."

    def add_arguments(self, parser):
        add_eval_arguments(parser)

    def handle(self, *args, eval: Path, cache: Path | None, model: str, **options):
        photos = sorted(eval.glob("*/images/*.jpg"))
        if not photos:
            raise CommandError(f"no photos under {eval}/*/images/")
        fired: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        totals: dict[str, int] = defaultdict(int)
        for path in photos:
            dataset, name = path.parent.parent.name, path.stem
            totals[dataset] += 1
            with Image.open(path) as im:
                rgb = to_rgb(im)
            mask = self._mask(rgb, dataset, name, cache, model)
            v = measure.view(rgb, mask)
            # As in advise(): without a subject, no other warning is given.
            checks = [advice.no_subject] if advice.no_subject(v) else _all_detectors()
            for detector in checks:
                if detector(v):
                    fired[detector.__name__][dataset].append(name)
        self._print(fired, totals)

    def _mask(self, rgb, dataset: str, name: str, cache: Path | None, model: str) -> np.ndarray:
        if cache:
            return segment.upscale(np.load(cache / f"{dataset}__{name}__{model}.npy"), rgb.shape)
        return segment.predict(rgb, engine.session(model))

    def _print(self, fired, totals: dict[str, int]) -> None:
        sets = sorted(totals)
        header = " ".join(f"{s:>7}" for s in sets)
        self.stdout.write(f"{'warning':22} {header}   total  (of {sum(totals.values())})")
        for detector in _all_detectors():
            code = detector.__name__
            counts = [len(fired[code][s]) for s in sets]
            row = " ".join(f"{c:>7}" for c in counts)
            only = (
                ""
                if detector in _detectors("portrait") and detector in _detectors("cutout")
                else (
                    "  (portrait only)" if detector in _detectors("portrait") else "  (cutout only)"
                )
            )
            self.stdout.write(f"{code:22} {row} {sum(counts):>7}{only}")
        self.stdout.write("")
        for detector in _all_detectors():
            code = detector.__name__
            names = [f"{s}/{n}" for s in sets for n in fired[code][s]]
            self.stdout.write(f"{code}: {', '.join(names) or '-'}")


def _detectors(tool: str) -> list:
    return [advice.no_subject, *(advice.PORTRAIT if tool == "portrait" else advice.CUTOUT)]


def _all_detectors() -> list:
    seen = _detectors("portrait")
    return seen + [d for d in _detectors("cutout") if d not in seen]
