"""`manage.py quality`: how good our masks and pictures are, against the plain method."""

import statistics
from pathlib import Path

import cv2
import numpy as np
from django.core.management.base import BaseCommand

from editor.imaging import segment
from editor.reports import evaluation
from editor.worker import engine

from ._eval import add_eval_arguments, datasets_and_session

TWELVE_MP = (4000, 3000)
REFERENCE_MODEL = "u2net"  # other models' masks are compared with its masks


class Command(BaseCommand):
    help = (
        "Print quality figures, one per line as `name: ours (reference: plain method)`, "
        "computed in this run: mask accuracy on an evaluation set, halo and fringe errors "
        "on composites with a known answer, and timings on a 12 MP photo."
    )

    def add_arguments(self, parser):
        add_eval_arguments(parser)

    def handle(self, *args, eval: Path, cache: Path | None, model: str, **options):
        datasets, session = datasets_and_session(eval, model)

        for dataset in datasets:
            saliency = self._saliency(session, cache, dataset, model)
            self._show(evaluation.mask_figures(eval, dataset, saliency))
        if model != REFERENCE_MODEL:
            self._agreement(eval, datasets, cache, model, session)
        for line in _published(eval / "README.md", datasets):
            self.stdout.write(line)

        triples = list(evaluation.composites(session))
        self._show(evaluation.halo_figures(triples))
        self._show([evaluation.fringe_figure(triples)])

        from skimage import data  # a test dependency, like the composites' photos

        photo = cv2.resize(data.astronaut(), TWELVE_MP, interpolation=cv2.INTER_CUBIC)
        self._show(evaluation.timing_figures(photo, segment.saliency(photo, session)))

    def _saliency(self, session, cache: Path | None, dataset: str, model: str):
        """The network's map for a photo: from the cache when it has it, else the model."""

        def saliency(rgb: np.ndarray, name: str) -> np.ndarray:
            stored = cache / f"{dataset}__{name}__{model}.npy" if cache else None
            if stored and stored.is_file():
                return np.load(stored)
            return segment.saliency(rgb, session)

        return saliency

    def _agreement(self, eval: Path, datasets: list[str], cache, model: str, session) -> None:
        """How closely this model's masks follow the fp32 u2net's: IoU at threshold 0.5."""
        args = engine.model_args(REFERENCE_MODEL)
        reference = segment.session(args["model_path"], args["model_sha256"])
        scores = []
        for dataset in datasets:
            ours = self._saliency(session, cache, dataset, model)
            theirs = self._saliency(reference, cache, dataset, REFERENCE_MODEL)
            for rgb, _, name in evaluation._pairs(eval / dataset):
                a, b = ours(rgb, name) > 0.5, theirs(rgb, name) > 0.5
                scores.append(float((a & b).sum() / max(1, (a | b).sum())))
        self.stdout.write(
            f"mask IoU against {REFERENCE_MODEL} ({len(scores)} photos): "
            f"min {min(scores):.3f}, median {statistics.median(scores):.3f}"
        )

    def _show(self, figures: list[evaluation.Figure]) -> None:
        for f in figures:
            digits = {" s": 3, " levels": 2}.get(f.unit, 4)
            ours, reference = (f"{x:.{digits}f}{f.unit}" for x in (f.ours, f.reference))
            self.stdout.write(f"{f.name}: {ours} (reference: {reference})")


def _published(readme: Path, datasets: list[str]) -> list[str]:
    """The data set's own published figures (rembg's, for context), as its README lists them."""
    if not readme.is_file():
        return []
    lines = []
    for text in readme.read_text().splitlines():
        name, _, figures = text.strip().removeprefix("- ").partition(": ")
        if name in datasets and "MAE" in figures:
            lines.append(f"{name} published for rembg (context, from the README): {figures}")
    return lines
