"""What the commands that read an evaluation set share (quality, clicks, advice_report)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from editor.imaging.errors import ModelError
from editor.worker import engine


def add_eval_arguments(parser) -> None:
    parser.add_argument(
        "--eval",
        type=Path,
        default=Path("../shared/eval"),
        help="folder of data sets, each with images/*.jpg and masks/*.png (%(default)s)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="folder of precomputed network maps, <data set>__<name>__<model>.npy",
    )
    parser.add_argument(
        "--model",
        choices=sorted(settings.MODEL_MANIFEST),
        default=settings.SEGMENTATION_MODEL,
        help="segmentation weights (default: %(default)s)",
    )


def datasets_and_session(eval: Path, model: str) -> tuple[list[str], object]:
    """The data sets in `eval` and the model's session, or a CommandError saying what is wrong."""
    datasets = sorted(p.name for p in eval.glob("*") if (p / "images").is_dir())
    if not datasets:
        raise CommandError(f"no data sets (folders with images/ and masks/) in {eval}")
    try:
        return datasets, engine.session(model)
    except ModelError as exc:
        raise CommandError(str(exc)) from None
