from django.conf import settings


def limits(request):
    return {
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "max_megapixels": settings.MAX_MEGAPIXELS,
        "max_batch_photos": settings.MAX_BATCH_PHOTOS,
        "retention": describe_duration(settings.JOB_RETENTION_SECONDS),
    }


def describe_duration(seconds: int) -> str:
    """3600 -> 'one hour', 5400 -> '90 minutes', 172800 -> '2 days'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"one {unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"
