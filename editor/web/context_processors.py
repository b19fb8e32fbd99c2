from django.conf import settings

from editor.imaging import edits
from editor.imaging.formats import LISTED, SUFFIXES


def limits(request):
    return {
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "max_megapixels": settings.MAX_MEGAPIXELS,
        "max_batch_photos": settings.MAX_BATCH_PHOTOS,
        "retention": describe_duration(settings.JOB_RETENTION_SECONDS),
        "photo_formats": LISTED,  # the formats we read, as a visitor reads them
        "photo_suffixes": " ".join(SUFFIXES),  # for the browser's own check
        # What one mask edit may hold, for the page's script (the server checks the same).
        "edit_limits": {
            "taps": edits.MAX_TAPS,
            "strokes": edits.MAX_STROKES,
            "points": edits.MAX_POINTS,
            "radius": edits.MAX_RADIUS,
        },
    }


def describe_duration(seconds: int) -> str:
    """3600 -> 'one hour', 5400 -> '90 minutes', 172800 -> '2 days'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"one {unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
