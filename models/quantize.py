"""Make models/u2net-int8.onnx from u2net.onnx: ONNX Runtime's static quantization.

QDQ format, per-channel int8 weights, uint8 activations (the fast path on x86,
and with VNNI), calibrated with min/max ranges on a fixed set of real photos
that the project already depends on: scikit-image's photos and tests/data,
each also mirrored. Never the evaluation set, which only measures the result.

The network's last layers stay fp32 (EXCLUDE), chosen by measurement; other
choices can be tried with --exclude and --output. Everything here is
deterministic, but the ranges come from float arithmetic that may differ in
the last bits between CPUs, so the file's checksum is not pinned: the manifest
marks the model as made here, from the pinned fp32 file.

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
PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "stereo_motorcycle", "coins",
          "moon", "clock", "grass", "brick", "immunohistochemistry")  # fmt: skip
SIZE = 320
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# Kept fp32, by output tensor: the six side outputs' convolutions, their
# upsampling, the concatenation and the fusing 1×1 convolution. Together they
# are ~0.1 % of the work, and in int8 they put the mask's edge where the
# quantisation steps of the logits fall. Measured on ../shared/eval against fp32
# masks (threshold 0.5), 60 photos: whole graph int8 2.40× faster, IoU min 0.82
# median 0.975; with these kept fp32 2.28×, min 0.89 median 0.987; keeping the
# 320×320 convolutions fp32 as well gained nothing (min 0.887) at 1.18×.
EXCLUDE = ("1937", "1917", "1897", "1877", "1857", "1856",  # side convolutions
           "1876", "1896", "1916", "1936", "1956",  # their upsampling
           "1957", "1958")  # concatenation and fusion  # fmt: skip


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
    batches = []
    for rgb in images:
        for photo in (rgb, rgb[:, ::-1]):
            small = cv2.resize(photo, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
            small = (small.astype(np.float32) / max(float(small.max()), 1e-6) - MEAN) / STD
            batches.append(np.ascontiguousarray(small.transpose(2, 0, 1)[np.newaxis]))
    return batches


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


def quantize(source: Path, target: Path, exclude: tuple[str, ...], cache: Path) -> None:
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
        nodes_to_exclude=_nodes_writing(prepared, exclude),
        extra_options={"CalibStridedMinMax": 1},
        calibration_cache_path=str(cache),
    )


def _nodes_writing(model_path: Path, outputs: tuple[str, ...]) -> list[str]:
    """Node names for the given output tensors: names survive pre-processing less well."""
    import onnx

    model = onnx.load(str(model_path), load_external_data=False)
    wanted = set(outputs)
    return [node.name for node in model.graph.node if wanted & set(node.output)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=TARGET)
    parser.add_argument("--exclude", help="comma-separated output tensors to keep fp32")
    parser.add_argument("--cache", type=Path, help="keep the calibration here between runs")
    args = parser.parse_args()
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} is missing: run `python models/fetch.py u2net` first")
    exclude = EXCLUDE if args.exclude is None else tuple(filter(None, args.exclude.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp) / "calibration"
        partial = args.output.with_suffix(".part")
        quantize(SOURCE, partial, exclude, cache)
        partial.replace(args.output)  # atomic: a half-written file never has the real name
    print(f"{args.output.name}: made from {SOURCE.name} ({len(exclude)} tensors kept fp32)")


if __name__ == "__main__":
    main()
