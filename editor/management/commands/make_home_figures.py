"""Regenerate the before/after pictures of the home and tool pages (static/img/home/)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editor.imaging.errors import ImageError, ModelError
from editor.reports import home_figures
from editor.worker import engine

from ._options import add_model, add_out


class Command(BaseCommand):
    help = (
        "Make the home and tool pages' before/after pictures from scikit-image's sample "
        "photos, through the same pipeline as an upload, in the default look."
    )

    def add_arguments(self, parser):
        add_out(parser, "home")
        add_model(parser)

    def handle(self, *args, out: Path, model: str, **options):
        out.mkdir(parents=True, exist_ok=True)
        for name in home_figures.EXAMPLES:
            try:
                paths = home_figures.make(name, engine.model_args(model), out)
            except (ImageError, ModelError) as exc:
                raise CommandError(str(exc)) from None
            for path in paths:
                self.stdout.write(f"wrote {path} ({path.stat().st_size // 1024} KB)")
