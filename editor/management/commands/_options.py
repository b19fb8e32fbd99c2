"""Arguments several commands share, spelled once."""

from pathlib import Path

from django.conf import settings


def add_model(parser) -> None:
    parser.add_argument(
        "--model",
        choices=sorted(settings.MODEL_MANIFEST),
        default=settings.SEGMENTATION_MODEL,
        help="segmentation weights (default: the site's, %(default)s)",
    )


def add_out(parser, folder: str) -> None:
    """--out, defaulting to static/img/<folder>/ (where the pages look for the pictures)."""
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(settings.BASE_DIR) / "static" / "img" / folder,
        help="folder to write to (default: %(default)s)",
    )
