"""Regenerate the guide's figures (static/img/guide/) with the real pipeline."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from editor.imaging.errors import ModelError
from editor.reports import guide_figures
from editor.worker import engine

from ._options import add_out


class Command(BaseCommand):
    help = "Make the guide's figures from scikit-image's sample photos, through our own pipeline."

    def add_arguments(self, parser):
        add_out(parser, "guide")
        parser.add_argument(
            "--only",
            action="append",
            choices=sorted(guide_figures.FIGURES),
            metavar="NAME",
            help="make only this figure (repeatable); names: " + ", ".join(guide_figures.FIGURES),
        )

    def handle(self, *args, out: Path, only: list[str] | None, **options):
        try:
            model = engine.session()
        except ModelError as exc:
            raise CommandError(str(exc)) from None
        out.mkdir(parents=True, exist_ok=True)
        maker = guide_figures.Maker(model)
        for name in only or guide_figures.FIGURES:
            path = guide_figures.make(name, maker, out)
            self.stdout.write(f"wrote {path} ({path.stat().st_size // 1024} KB)")
