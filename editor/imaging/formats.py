"""The photo formats the site reads: plain data, the one list for the forms, the pages,
the browser's checks, the command line and the decoder's messages."""

# The name a visitor reads -> the MIME types and file suffixes it comes with.
READ = {
    "JPEG": (("image/jpeg",), (".jpg", ".jpeg", ".jpe")),
    "PNG": (("image/png",), (".png",)),
    "WebP": (("image/webp",), (".webp",)),
    "HEIC": (("image/heic", "image/heif"), (".heic", ".heif")),
    "TIFF": (("image/tiff",), (".tif", ".tiff")),
    "BMP": (("image/bmp",), (".bmp",)),
    "GIF": (("image/gif",), (".gif",)),
}
NAMES = tuple(READ)
LISTED = f"{', '.join(NAMES[:-1])} or {NAMES[-1]}"  # "JPEG, PNG, … or GIF", for messages
MIME_TYPES = tuple(mime for mimes, _ in READ.values() for mime in mimes)
SUFFIXES = tuple(suffix for _, suffixes in READ.values() for suffix in suffixes)
ACCEPT = ",".join(MIME_TYPES + SUFFIXES)  # a file input's accept attribute
