"""`manage.py bench`: where the time of one job goes, against the plain method, in one run.

For a 12 MP JPEG in this warm process: the network's own time, each stage of
our pipeline, the whole job for both tools against the fp32 network's own time,
and the plain method as rembg runs it (u2net in fp32 at 320, mask scaled up
with Pillow, `putalpha`, PNG at Pillow's default settings; for portraits the
plain blend of photo and blurred photo). Then the peak memory of a 24 MP job,
each in a fresh process (VmHWM). Figures from one run share the machine's load,
so compare the ratios.
"""

import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from django.core.management.base import BaseCommand
from PIL import Image, ImageOps

from editor.imaging import decode, effects, encode, foreground, pipeline, refine, segment
from editor.worker import engine

TWELVE_MP = (4000, 3000)
FP32 = "u2net"  # the network whose own time the whole job is measured against
_CPU = ["CPUExecutionProvider"]
TWENTY_FOUR_MP = (6000, 4000)


class Command(BaseCommand):
    help = "Time each stage of a 12 MP job against the plain method; peak memory at 24 MP."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
        parser.add_argument("--model", default=None, help="weights (default: settings)")
        parser.add_argument("--no-memory", action="store_true", help="skip the 24 MP runs")
        # Internal: one job in this (fresh) process, for the peak-memory figure.
        parser.add_argument("--one", nargs=2, metavar=("METHOD", "PHOTO"), help="internal")

    def handle(self, *args, repeat: int, model: str | None, no_memory: bool, one, **_):
        model_args = engine.model_args(model)
        if one:
            method, photo = one
            _ONE[method](Path(photo).read_bytes(), model_args)
            return
        data = _jpeg(TWELVE_MP)
        times = _Timer(repeat)
        for line in _figures(data, model_args, times):
            self.stdout.write(line)
        if not no_memory:
            for line in _memory(model):
                self.stdout.write(line)


class _Timer:
    """Median seconds of a function's runs, after one warm run (caches, first-run set-up).

    Each figure gets a block of runs of its own, after a second's pause: two
    ONNX sessions taking turns in one process slow each other down, and for
    about a second after a block that freed hundreds of MB the next one runs up
    to 1.5× slower (measured with u2net-int8 after the fp32 reference). Neither
    happens in a worker, which holds one session.
    """

    def __init__(self, repeat: int):
        self.repeat = repeat

    def __call__(self, fn) -> float:
        time.sleep(1)
        fn()
        times = []
        for _ in range(self.repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return statistics.median(times)


def _figures(data: bytes, model_args: dict, timed: _Timer):
    session = segment.session(model_args["model_path"], model_args["model_sha256"])
    network = _network(session)
    # The yardstick, whichever model the job uses: u2net in fp32, alone, in ONNX
    # Runtime's default session (its memory arena kept between runs), as rembg runs it.
    fp32 = ort.InferenceSession(engine.model_args(FP32)["model_path"], providers=_CPU)
    fp32_network = _network(fp32)

    analysis = pipeline.analyse(data, **model_args)  # each stage's input, made the job's way
    layers, soft = analysis.layers, analysis.soft
    rgb, mask = layers.photo.pixels, layers.mask
    small = refine.work_copy(rgb)
    options = pipeline.Options()
    look = pipeline.compose(layers, "portrait", options)
    cut = pipeline.compose(layers, "cutout", options)
    stages = {
        "decode": lambda: decode.decode(data, model_args["max_pixels"]),
        "shrunk copy (1024 px)": lambda: refine.work_copy(rgb),
        "network with its input and output": lambda: segment.saliency(small, session),
        "refine": lambda: refine.refine(rgb, soft, shrunk=small),
        "foreground colours": lambda: foreground.estimate(rgb, mask, shrunk=small),
        "portrait blend": lambda: pipeline.compose(layers, "portrait", options),
        "portrait JPEG": lambda: encode.save(look, "jpeg"),
        "cutout RGBA": lambda: pipeline.compose(layers, "cutout", options),
        "cutout PNG": lambda: encode.save(cut, "png"),
        "mask PNG (only when asked)": lambda: encode.mask_png(mask),
    }
    model = Path(model_args["model_path"]).name
    yield f"12 MP JPEG, {model}, medians of {timed.repeat} warm runs"
    fp32_before, alone = timed(fp32_network), timed(network)
    for stage, fn in stages.items():
        yield f"  {stage}: {timed(fn):.3f} s"
    wholes = {
        tool: (
            timed(lambda t=tool: pipeline.render(data, t, **model_args)),
            timed(lambda t=tool: _PLAIN[t](data, fp32)),  # rembg runs u2net in fp32
        )
        for tool in pipeline.TOOLS
    }
    # Timed before and after the rest; the faster block is the network's own time.
    net = min(fp32_before, timed(fp32_network))
    yield f"network alone (320×320): {alone:.3f} s"
    yield f"{FP32} in fp32 alone, in ONNX Runtime's default session (the yardstick): {net:.3f} s"
    for tool, (ours, plain) in wholes.items():
        yield (
            f"whole {tool}: {ours:.3f} s = {ours / net:.2f}× the fp32 network; "
            f"plain method {plain:.3f} s = {plain / net:.2f}×; ours/plain {ours / plain:.2f}"
        )


def _network(session):
    """One run of the network alone, on a blank input (its own time, nothing around it)."""
    batch = np.zeros((1, 3, segment.SIZE, segment.SIZE), np.float32)
    name = session.get_inputs()[0].name
    return lambda: session.run(None, {name: batch})


def _plain_cutout(data: bytes, session) -> bytes:
    """What rembg's remove() does by default with u2net."""
    im = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    mask = _plain_mask(im, session)
    im.putalpha(mask)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _plain_portrait(data: bytes, session) -> bytes:
    """The same mask, and the plain blend of the photo with a blurred copy of itself."""
    im = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    mask = np.asarray(_plain_mask(im, session), np.float32) / 255
    out = effects.plain_portrait(np.asarray(im), mask)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _plain_mask(im: Image.Image, session) -> Image.Image:
    """rembg's u2net session: Lanczos to 320, normalise, run, min-max, Lanczos back up."""
    small = np.asarray(im.resize((segment.SIZE, segment.SIZE), Image.LANCZOS), np.float32)
    small = (small / max(float(small.max()), 1e-6) - segment.MEAN) / segment.STD
    batch = small.transpose(2, 0, 1)[np.newaxis]
    raw = session.run(None, {session.get_inputs()[0].name: batch})[0][0, 0]
    raw = (raw - raw.min()) / max(float(raw.max() - raw.min()), 1e-6)
    return Image.fromarray((raw * 255).astype(np.uint8), "L").resize(im.size, Image.LANCZOS)


_PLAIN = {"portrait": _plain_portrait, "cutout": _plain_cutout}


def _plain(tool: str):
    def run(data: bytes, model_args: dict) -> bytes:
        session = ort.InferenceSession(model_args["model_path"], providers=_CPU)  # as rembg
        return _PLAIN[tool](data, session)

    return run


_ONE = {f"plain-{tool}": _plain(tool) for tool in pipeline.TOOLS}


def _memory(model: str | None):
    """Peak resident memory of one 24 MP job, each in a fresh process, model included.

    Ours is the CLI exactly as a person runs it; the plain method runs in a
    process of the same kind (Django loaded, the same model file).
    """
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "24mp.jpg"
        photo.write_bytes(_jpeg(TWENTY_FOUR_MP))
        chosen = ["--model", model] if model else []
        for tool, extension in (("portrait", "jpg"), ("cutout", "png")):
            ours = _peak_of(["manage.py", tool, str(photo), f"{tmp}/out.{extension}", *chosen])
            plain = _peak_of(
                ["manage.py", "bench", "--one", f"plain-{tool}", str(photo), "--model", FP32]
            )
            yield f"24 MP {tool}: peak memory {ours / 1e9:.2f} GB (plain {plain / 1e9:.2f} GB)"


# Runs manage.py in this interpreter, then prints the process's peak resident memory.
_MEASURED = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    status = open("/proc/self/status").read()
    print(int(status.split("VmHWM:")[1].split()[0]) * 1024)
"""


def _peak_of(command: list[str]) -> int:
    """The peak resident memory (VmHWM) of a fresh process running manage.py `command`.

    Not ru_maxrss from wait4(): Linux counts the parent's memory at fork into
    the child's maximum, so every child would report the parent's peak.
    """
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, *command], capture_output=True, text=True, check=True
    )
    return int(done.stdout.split()[-1])


def _jpeg(size: tuple[int, int]) -> bytes:
    from skimage import data as photos  # a test dependency: not in the measured processes

    pixels = Image.fromarray(photos.astronaut()).resize(size, Image.LANCZOS)
    buf = io.BytesIO()
    pixels.save(buf, "JPEG", quality=90)
    return buf.getvalue()
