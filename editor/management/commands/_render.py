"""Shared body of the `portrait` and `cutout` commands: the pipeline, no web, no worker.

One photo (`IN OUT`), or a folder of them (`DIR OUTDIR`): each photo we can
read becomes OUTDIR/<name>.<ext>, the model loaded once, progress on stderr.
A damaged photo is reported and skipped, and the command fails at the end.
Taps (`--keep X,Y`, `--remove X,Y`) fix one photo's mask, in the order given.
The look (`--strength`, `--style`, `--background`, `--format`,
`--keep-camera-details`) is the site's own Options, checked by its own rules.
"""

import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from editor.imaging import edits, pipeline
from editor.imaging.errors import ImageError, ModelError
from editor.imaging.formats import SUFFIXES
from editor.imaging.options import FORMATS, STRENGTHS, STYLES, Options
from editor.worker import engine

from ._options import add_model


class RenderCommand(BaseCommand):
    tool = ""

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path, help="a photo, or a folder of photos")
        parser.add_argument(
            "output", type=Path, help="where to write the result (a folder when INPUT is one)"
        )
        parser.add_argument(
            "--mask",
            nargs="?",
            const=True,
            help="also write the full-resolution mask (8-bit PNG): a path for one photo; "
            "for a folder, just --mask puts <name>-mask.png beside each result",
        )
        add_model(parser)
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
        self.add_look_arguments(parser)

    def add_look_arguments(self, parser) -> None:
        """The look, as the site offers it; values are checked by Options in handle()."""
        low, high = STRENGTHS
        look = parser.add_argument_group("the look (as on the site)")
        look.add_argument(
            "--strength",
            type=float,
            default=1.0,
            help=f"blur strength, a multiple of the usual blur, {low:g} to {high:g} (default 1)",
        )
        look.add_argument(
            "--style",
            default=STYLES[0],
            help=f"blur style: {', '.join(STYLES)} (default %(default)s; lens: round highlights)",
        )
        look.add_argument(
            "--background",
            default="transparent",
            help="cutout only: transparent, blur, or a colour written --background=#rrggbb "
            "(with =, or quoted: the shell takes a lone #… for a comment)",
        )
        formats = FORMATS[self.tool]
        look.add_argument(
            "--format",
            default="",
            help=f"file format: {' or '.join(formats)} (default {formats[0]})",
        )
        look.add_argument(
            "--keep-camera-details",
            action="store_true",
            help="keep the camera's EXIF (make, model, exposure), never the location",
        )

    def handle(self, *args, input: Path, output: Path, mask, model: str, **options):
        self.look = self.checked_look(options)
        self.model_args = engine.model_args(model)
        self.fixes = edits.Edits()
        for mode, point in options["taps"]:  # one batch each: the order given is kept
            self.fixes = self.fixes.then(edits.Batch(**{mode: (point,)}))
        if input.is_dir():
            if self.fixes:
                raise CommandError("--keep and --remove are pixels of one photo, not a folder")
            self.handle_folder(input, output, with_mask=mask is not None)
            return
        if mask is True:
            raise CommandError("--mask needs a file name when INPUT is one photo")
        try:
            rendered = self.render(input, with_mask=bool(mask))
        except OSError as exc:
            raise CommandError(f"cannot read {input}: {exc.strerror or exc}") from None
        except (ImageError, ModelError) as exc:
            raise CommandError(str(exc)) from None
        output.write_bytes(rendered.image)
        if mask:
            Path(mask).write_bytes(rendered.mask)
        self.stdout.write(f"wrote {output} ({rendered.width}×{rendered.height})")

    def checked_look(self, options: dict) -> Options:
        """The look options as the site's Options, or a CommandError saying what is wrong."""
        if self.tool != "cutout" and options["background"] != "transparent":
            # The site never offers it for a portrait; here it would be silently ignored.
            raise CommandError("--background is for cutout: a portrait keeps its background")
        look = Options(
            strength=options["strength"],
            style=options["style"],
            background=options["background"],
            format=options["format"],
            keep_camera_details=options["keep_camera_details"],
        )
        try:
            return look.check(self.tool)
        except ValueError as exc:
            raise CommandError(f"--{exc}") from None

    def render(self, path: Path, with_mask: bool) -> pipeline.Rendered:
        """One photo through the pipeline, in the look chosen."""
        return pipeline.render(
            path.read_bytes(),
            self.tool,
            options=self.look,
            fixes=self.fixes,
            with_mask=with_mask,
            **self.model_args,
        )

    def handle_folder(self, folder: Path, output: Path, with_mask: bool) -> None:
        photos = sorted(
            p for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
        )  # fmt: skip
        if not photos:
            suffixes = ", ".join(SUFFIXES)
            raise CommandError(f"no photos in {folder} (we read {suffixes})")
        output.mkdir(parents=True, exist_ok=True)
        stems = [p.stem for p in photos]
        failed = []
        for path in tqdm(photos, desc=self.tool, unit="photo", file=sys.stderr):
            # Two photos with one name (a.jpg, a.png) keep their suffix in the result's name.
            name = path.stem if stems.count(path.stem) == 1 else path.name
            try:
                rendered = self.render(path, with_mask)
            except OSError as exc:
                failed.append(f"{path.name}: cannot read it ({exc.strerror or exc})")
            except ImageError as exc:
                failed.append(f"{path.name}: {exc}")
            except ModelError as exc:
                raise CommandError(str(exc)) from None
            else:
                (output / f"{name}.{rendered.extension}").write_bytes(rendered.image)
                if with_mask:
                    (output / f"{name}-mask.png").write_bytes(rendered.mask)
                continue
            tqdm.write(f"skipped {failed[-1]}", file=sys.stderr)
        done = len(photos) - len(failed)
        self.stdout.write(f"wrote {done} of {len(photos)} photos to {output}")
        if failed:
            lines = "\n".join(failed)
            raise CommandError(f"{len(failed)} of {len(photos)} photos failed:\n{lines}")


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
