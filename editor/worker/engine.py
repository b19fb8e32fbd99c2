"""Settings turned into what the pipeline needs: the model's file and checksum, the limits,
and the ONNX session. Tasks and management commands ask here; the web never imports it.
"""

from __future__ import annotations

from django.conf import settings

from editor.imaging import segment


def model_args(model: str | None = None) -> dict:
    """The pipeline's model and limit arguments (`pipeline.analyse(data, **model_args())`)."""
    entry = settings.MODEL_MANIFEST[model or settings.SEGMENTATION_MODEL]
    return {
        "model_path": str(settings.MODELS_DIR / entry["file"]),
        "model_sha256": entry["sha256"],
        "max_pixels": max_pixels(),
    }


def session(model: str | None = None):
    """The ONNX session for this model, built once per process (segment.session caches it)."""
    args = model_args(model)
    return segment.session(args["model_path"], args["model_sha256"])


def max_pixels() -> int:
    return settings.MAX_MEGAPIXELS * 1_000_000


def use_threads() -> None:
    """This worker process's share of the machine's cores (WORKER_THREADS), for every photo."""
    segment.use_threads(settings.WORKER_THREADS)
