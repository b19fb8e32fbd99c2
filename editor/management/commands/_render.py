"""Shared body of the `portrait` and `cutout` commands: the pipeline, no web, no worker."""

import argparse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from editor import engine
from editor.imaging import edits, pipeline
from editor.imaging.errors import ImageError, ModelError


class RenderCommand(BaseCommand):
    tool = ""

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path, help="photo to read (JPEG, PNG or WebP)")
        parser.add_argument("output", type=Path, help="where to write the result")
        parser.add_argument(
            "--mask", type=Path, help="also write the full-resolution mask (8-bit PNG)"
        )
        parser.add_argument(
            "--model",
            choices=sorted(settings.MODEL_MANIFEST),
            default=settings.SEGMENTATION_MODEL,
            help="segmentation weights (default: %(default)s)",
        )
        for mode in edits.MODES:
            parser.add_argument(
                f"--{mode}",
                dest="taps",
                type=_point,
                action=_Tap,
                default=[],
                metavar="X,Y",
                help=f"a {mode}-tap at pixel X,Y of the upright photo (repeatable; in order)",
            )

    def handle(self, *args, input: Path, output: Path, mask: Path | None, model: str, **options):
        fixes = edits.Edits()
        for mode, point in options["taps"]:  # one batch each: the order given is kept
            fixes = fixes.then(edits.Batch(**{mode: (point,)}))
        try:
            data = input.read_bytes()
            rendered = pipeline.render(
                data, self.tool, fixes=fixes, with_mask=bool(mask), **engine.model_args(model)
            )
        except OSError as exc:
            raise CommandError(f"cannot read {input}: {exc.strerror or exc}") from None
        except (ImageError, ModelError) as exc:
            raise CommandError(str(exc)) from None
        output.write_bytes(rendered.image)
        if mask:
            mask.write_bytes(rendered.mask)
        self.stdout.write(f"wrote {output} ({rendered.width}×{rendered.height})")


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not X,Y (two numbers)") from None
    return x, y


class _Tap(argparse.Action):
    """Collects --keep and --remove in the order given, as (mode, point)."""

    def __call__(self, parser, namespace, value, option_string=None):
        taps = [*getattr(namespace, self.dest), (option_string.removeprefix("--"), value)]
        setattr(namespace, self.dest, taps)
