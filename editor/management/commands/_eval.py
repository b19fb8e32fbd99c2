"""Arguments shared by the commands that read an evaluation set (quality, advice_report)."""

from pathlib import Path

from django.conf import settings


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
