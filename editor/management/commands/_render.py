"""Shared body of the `portrait` and `cutout` commands: the pipeline, no web, no worker."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from editor import engine
from editor.imaging import pipeline
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

    def handle(self, *args, input: Path, output: Path, mask: Path | None, model: str, **options):
        try:
            rendered = pipeline.render(input.read_bytes(), self.tool, **engine.model_args(model))
        except OSError as exc:
            raise CommandError(f"cannot read {input}: {exc.strerror or exc}") from None
        except (ImageError, ModelError) as exc:
            raise CommandError(str(exc)) from None
        output.write_bytes(rendered.image)
        if mask:
            mask.write_bytes(rendered.mask)
        self.stdout.write(f"wrote {output} ({rendered.width}×{rendered.height})")
