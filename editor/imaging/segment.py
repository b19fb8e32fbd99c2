"""U-2-Net salient-object segmentation through ONNX Runtime."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from .errors import ModelError

try:
    _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc
    _malloc_trim = None

SIZE = 320  # the network's native input
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
FETCH_HINT = "Run `make models` (or `python models/fetch.py`) to fetch it."
# The decoder stage whose features `features` returns: stage 2 sees 160×160, 64 channels.
FEATURE_SIDE = 2
_made: dict[int, tuple[str, str | None]] = {}  # id of a session -> the weights it was made of
_threads: int | None = None  # per network run; None leaves it to ONNX Runtime (every core)


def use_threads(count: int) -> None:
    """Give each photo `count` threads in this process: the network's and the tile work's.

    For a worker that shares its machine with others of its kind. Sessions built
    before the call are dropped, so the next one is built with the new count.
    """
    global _threads
    _threads = count
    cv2.setNumThreads(count)  # the tile work (tiles.each) follows OpenCV's count
    session.cache_clear()
    _feature_session.cache_clear()
    _made.clear()


@functools.cache
def session(model_path: str, sha256: str | None = None) -> ort.InferenceSession:
    """One session per process and model file, built lazily (after a worker forks)."""
    path = Path(model_path)
    if not path.is_file():
        raise ModelError(f"Model weights not found at {path}. {FETCH_HINT}")
    if sha256 and _sha256(path) != sha256:
        raise ModelError(f"Model weights at {path} are damaged (sha256 mismatch). {FETCH_HINT}")
    try:
        model = ort.InferenceSession(str(path), _options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf types
        raise ModelError(
            f"Model weights at {path} could not be loaded ({exc}). {FETCH_HINT}"
        ) from exc
    release_free_memory()  # what reading the file needed (~300 MB for u2net) stays free
    _made[id(model)] = (model_path, sha256)
    return model


def release_free_memory() -> None:
    """Hand memory that glibc's allocator keeps after free() back to the system.

    Memory freed in blocks under 32 MB stays in the process for reuse; after the
    model is loaded, and after the network's activations, that is hundreds of
    MB the rest of the job never needs. A no-op where the C library is not glibc.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def _options() -> ort.SessionOptions:
    """Without the arena, the activations (~290 MB for u2net) go back to the
    system after each run instead of staying reserved: part of what keeps a
    24 MP job under 1 GB. Allocating them again costs page faults, cheap only
    with huge pages (config/allocator.py): u2net takes 0.297 s a run then,
    0.287 s with the arena, 0.365 s in 4 KB pages (2 cores, notes of issue 9).

    ONNX Runtime's threads also stop spinning once a run is over: spinning, they
    kept the cores from OpenCV's threads in the stages after the network (and
    the next photo's shrinking) for tens of milliseconds, for nothing: a 12 MP
    portrait with u2net-int8 took 0.46 s instead of 0.51 s, the run itself the same.
    """
    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if _threads:
        options.intra_op_num_threads = _threads
        options.inter_op_num_threads = 1
    return options


def saliency(rgb: np.ndarray, model: ort.InferenceSession) -> np.ndarray:
    """The network's own answer: a SIZE×SIZE float32 map, min-max normalised to 0..1."""
    small = cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
    small = (small / max(float(small.max()), 1e-6) - MEAN) / STD
    batch = small.transpose(2, 0, 1)[np.newaxis]
    raw = model.run(None, {model.get_inputs()[0].name: batch})[0][0, 0]
    release_free_memory()  # the activations, ~290 MB for u2net
    lo, hi = float(raw.min()), float(raw.max())
    return ((raw - lo) / max(hi - lo, 1e-6)).astype(np.float32)


@functools.cache
def _feature_session(model_path: str, sha256: str | None) -> ort.InferenceSession:
    """A session of the same weights that also returns U-2-Net's decoder features: the
    graph gets the input of side output FEATURE_SIDE as an extra output, so the network's
    own view of which pixels are one thing can spread a tap. Built on first use."""
    import onnx  # only the taps need it, and only once per process

    graph = onnx.load(model_path)
    weight = f"side{FEATURE_SIDE}.weight"
    conv = next(n for n in graph.graph.node if n.op_type == "Conv" and weight in n.input)
    graph.graph.output.append(onnx.helper.make_tensor_value_info(conv.input[0], 1, None))
    model = ort.InferenceSession(
        graph.SerializeToString(), _options(), providers=["CPUExecutionProvider"]
    )
    del graph
    release_free_memory()
    return model


def features(rgb: np.ndarray, model: ort.InferenceSession) -> tuple[np.ndarray, np.ndarray]:
    """(the saliency map as `saliency` gives it, the decoder's C×h×w features, each
    pixel's vector of unit length), by the same weights as `model`, a `session`."""
    model = _feature_session(*_made[id(model)])
    small = cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
    small = (small / max(float(small.max()), 1e-6) - MEAN) / STD
    outputs = model.run(None, {model.get_inputs()[0].name: small.transpose(2, 0, 1)[None]})
    raw, found = outputs[0][0, 0], outputs[-1][0]
    release_free_memory()
    lo, hi = float(raw.min()), float(raw.max())
    found /= np.maximum(np.linalg.norm(found, axis=0, keepdims=True), 1e-6)
    return ((raw - lo) / max(hi - lo, 1e-6)).astype(np.float32), found.astype(np.float32)


def upscale(soft: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Scale a low-resolution mask back to the photo's H×W (the plain method)."""
    full = cv2.resize(soft, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(full, 0.0, 1.0)


def predict(rgb: np.ndarray, model: ort.InferenceSession) -> np.ndarray:
    """Soft foreground mask in 0..1 at the photo's full size (H×W float32)."""
    return upscale(saliency(rgb, model), rgb.shape)


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
