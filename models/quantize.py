"""Make models/u2net-int8.onnx from u2net.onnx: ONNX Runtime's static quantization.

QDQ format, per-channel int8 weights, uint8 activations (the fast path on x86,
and with VNNI), calibrated with min/max ranges on a fixed set of real photos
that the project already depends on: scikit-image's photos and tests/data,
each whole, mirrored, and cut into squares of a half and a quarter of its
longest side (what a tap shows the network). Never the evaluation set, which
only measures the result.

The network's last layers and the inside of its two outermost decoder stages
stay fp32 (EXCLUDE, FP32_STAGES), chosen by measurement; other choices can be
tried with --exclude and --output. Everything here is deterministic, but the
ranges come from float arithmetic that may differ in the last bits between
CPUs, so the file's checksum is not pinned: the manifest marks the model as
made here, from the pinned fp32 file.

Usage: python models/quantize.py [--output FILE] [--exclude TENSOR,...] [--cache FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "u2net.onnx"
TARGET = HERE / "u2net-int8.onnx"
# Every photo scikit-image ships in its wheel (none is fetched), grey ones as RGB;
# of the stereo pair only the left view (the tests hold out the right one).
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field",
          "retina", "colorwheel", "stereo_motorcycle", "camera", "coins", "moon", "clock", "grass",
          "brick", "gravel", "cell", "page", "text")  # fmt: skip
# Squares cut from each photo, as (share of its longest side, centres as shares of
# width and height): the sizes retouch.CROPS shows the network when a tap is fixed.
CROPS = ((0.5, ((0.5, 0.5), (0.3, 0.35), (0.7, 0.65))),
         (0.25, ((0.5, 0.5), (0.35, 0.6), (0.65, 0.4))))  # fmt: skip
SIZE = 320
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# Kept fp32, by output tensor: the six side outputs' convolutions, their
# upsampling, the concatenation, the fusing 1×1 convolution and the seven
# sigmoids. Together they are ~0.1 % of the work, and in int8 they put the
# mask's edge where the quantisation steps of the logits fall.
EXCLUDE = ("1937", "1917", "1897", "1877", "1857", "1856",  # side convolutions
           "1876", "1896", "1916", "1936", "1956",  # their upsampling
           "1957", "1958",  # concatenation and fusion
           "1959", "1960", "1961", "1962", "1963", "1964", "1965")  # sigmoids  # fmt: skip
# Also kept fp32: every node inside the two outermost decoder stages (RSU6 at
# 160 px, RSU7 at 320 px) after their first convolution, given as (the tensor
# before the first kept node, the stage's last tensor). Their last convolution
# sums large activations (up to ~120) into a small, mostly negative result, so
# int8's steps of its inputs come out as noise: 7 dB SQNR against fp32 at the
# end of the 160 px stage, 0.5 dB at the 320 px one (3 davis photos).
# ~8 % of the work. Measured with ../shared/eval's 80 photos against fp32 masks
# (threshold 0.5), and one thread's CPU time against fp32's in the same run:
#   heads only, 12 photos (the earlier recipe): IoU min 0.903 median 0.989, 2.92×
#   heads only, photos and squares:             IoU min 0.921 median 0.990
#   heads and these stages, 12 photos:          IoU min 0.932 median 0.997
#   heads and these stages, photos and squares: IoU min 0.944 median 0.997, 2.45×
#   these and the 80 px stage (RSU5) too:       IoU min 0.951 median 0.997, 2.26×
# (2.62× and 2.18× for the first and chosen one in a default two-thread session.)
# Percentile ranges (99.99, 99.999) instead of min/max did worse (min 0.901, 0.834).
# Simulated taps (manage.py clicks), mean IoU after 0/1/2/3/5 taps on davis:
# fp32 0.815 0.847 0.883 0.900 0.921, the earlier recipe 0.813 0.840 0.873 0.889
# 0.913, this one 0.815 0.845 0.881 0.898 0.916; ECSSD after 3: fp32 0.954, this 0.955.
FP32_STAGES = (("1567", "1686"), ("1709", "1855"))


def calibration_batches() -> list[np.ndarray]:
    """The network's inputs for the calibration photos, prepared as segment.saliency does."""
    from skimage import data

    images = []
    for name in PHOTOS:
        photo = getattr(data, name)()
        photo = photo[0] if isinstance(photo, tuple) else photo  # a stereo pair: the left one
        images.append(np.dstack([photo] * 3) if photo.ndim == 2 else photo[..., :3])
    for path in sorted((HERE.parent / "tests" / "data").glob("*.jpg")):
        images.append(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))
    return [_prepared(view) for rgb in images for view in _views(rgb)]


def _views(rgb: np.ndarray) -> list[np.ndarray]:
    """The photo, its mirror image and its CROPS squares."""
    height, width = rgb.shape[:2]
    views = [rgb, rgb[:, ::-1]]
    for share, centres in CROPS:
        side = min(max(96, round(share * max(height, width))), height, width)
        for cx, cy in centres:
            x0 = int(min(max(0, cx * width - side / 2), width - side))
            y0 = int(min(max(0, cy * height - side / 2), height - side))
            views.append(rgb[y0 : y0 + side, x0 : x0 + side])
    return views


def _prepared(photo: np.ndarray) -> np.ndarray:
    small = cv2.resize(photo, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    small = (small.astype(np.float32) / max(float(small.max()), 1e-6) - MEAN) / STD
    return np.ascontiguousarray(small.transpose(2, 0, 1)[np.newaxis])


class _Reader:
    """ONNX Runtime's CalibrationDataReader protocol over a list of batches.

    With CalibStridedMinMax, ranges are merged after each slice of `set_range`,
    so only one photo's activations are held at a time (a few hundred MB).
    """

    def __init__(self, name: str, batches: list[np.ndarray]):
        self.feeds = [{name: batch} for batch in batches]
        self.set_range(0, len(self.feeds))

    def __len__(self) -> int:
        return len(self.feeds)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.pending = iter(self.feeds[start_index:end_index])

    def get_next(self) -> dict | None:
        return next(self.pending, None)


def quantize(
    source: Path, target: Path, exclude: tuple[str, ...], stages: tuple, cache: Path
) -> None:
    """Pre-process (shape inference, folding), calibrate (cached), quantize to QDQ."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = cache.with_suffix(".prepared.onnx")
    if not prepared.is_file():
        # Per-channel scales need DequantizeLinear's axis, from opset 13; the file is opset 11.
        upgraded = cache.with_suffix(".opset13.onnx")
        onnx.save(version_converter.convert_version(onnx.load(str(source)), 13), str(upgraded))
        quant_pre_process(str(upgraded), str(prepared), skip_symbolic_shape=True)
        upgraded.unlink()
    quantize_static(
        str(prepared),
        str(target),
        _Reader("input.1", calibration_batches()),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        nodes_to_exclude=_nodes_writing(prepared, exclude) + _nodes_within(prepared, stages),
        extra_options={"CalibStridedMinMax": 1},
        calibration_cache_path=str(cache),
    )


def _nodes_writing(model_path: Path, outputs: tuple[str, ...]) -> list[str]:
    """Node names for the given output tensors: names survive pre-processing less well."""
    import onnx

    model = onnx.load(str(model_path), load_external_data=False)
    wanted = set(outputs)
    return [node.name for node in model.graph.node if wanted & set(node.output)]


def _nodes_within(model_path: Path, stages: tuple[tuple[str, str], ...]) -> list[str]:
    """Node names after the node writing each stage's first tensor, up to its last one."""
    import onnx

    nodes = onnx.load(str(model_path), load_external_data=False).graph.node
    where = {output: i for i, node in enumerate(nodes) for output in node.output}
    inside = [nodes[where[first] + 1 : where[last] + 1] for first, last in stages]
    return [node.name for stage in inside for node in stage]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=TARGET)
    parser.add_argument("--exclude", help="comma-separated output tensors to keep fp32")
    parser.add_argument("--cache", type=Path, help="keep the calibration here between runs")
    args = parser.parse_args()
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} is missing: run `python models/fetch.py u2net` first")
    if args.exclude is None:
        exclude, stages = EXCLUDE, FP32_STAGES
    else:
        exclude, stages = tuple(filter(None, args.exclude.split(","))), ()
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp) / "calibration"
        partial = args.output.with_suffix(".part")
        quantize(SOURCE, partial, exclude, stages, cache)
        partial.replace(args.output)  # atomic: a half-written file never has the real name
    kept = f"{len(exclude)} tensors and {len(stages)} decoder stages kept fp32"
    print(f"{args.output.name}: made from {SOURCE.name} ({kept})")


if __name__ == "__main__":
    main()
