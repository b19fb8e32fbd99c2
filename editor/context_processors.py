from django.conf import settings


def limits(request):
    return {"max_upload_mb": settings.MAX_UPLOAD_MB, "max_megapixels": settings.MAX_MEGAPIXELS}
