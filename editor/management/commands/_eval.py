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
    return datasets, _session(model)


def set_folders(eval: Path, names: list[str] | None = None) -> list[Path]:
    """The sets to read: `eval` itself when it is one (it has images/), else its sets,
    only those `names` if given; a CommandError names what is missing."""
    if (eval / "images").is_dir():
        return [eval]
    found = {p.name: p for p in sorted(eval.glob("*")) if (p / "images").is_dir()}
    missing = [name for name in names or () if name not in found]
    if missing or not found:
        raise CommandError(f"no data set {', '.join(missing) or '(images/ and masks/)'} in {eval}")
    return [found[name] for name in names] if names else list(found.values())


def photos(folder: Path, limit: int | None = None) -> list[Path]:
    """The set's photos by name; with `limit`, that many spread evenly over the names
    (a sample of the whole set, not of its first letters)."""
    found = sorted((folder / "images").glob("*.jpg"))
    if limit is None or limit >= len(found):
        return found
    step = len(found) / limit
    return [found[int(i * step)] for i in range(limit)]


def _session(model: str):
    try:
        return engine.session(model)
    except ModelError as exc:
        raise CommandError(str(exc)) from None
