"""Hostile files built in memory, byte by byte, for the upload and decode tests."""

import functools
import io
import struct
import zlib

import numpy as np
from PIL import Image


def _jpeg_scans(data: bytes) -> tuple[list[tuple[int, int]], int]:
    """(start, start of entropy data) of each scan, and where the EOI marker is."""
    found, pos = [], 2
    while data[pos + 1] != 0xD9:
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if data[pos + 1] == 0xDA:
            found.append((pos, end))
            while data[end] != 0xFF or data[end + 1] == 0 or 0xD0 <= data[end + 1] <= 0xD7:
                end += 1
        pos = end
    return found, pos


@functools.cache
def scan_bomb(side: int = 6320, repeats: int = 30_000) -> bytes:
    """A progressive JPEG whose last scan, cut to 23 bytes, is repeated `repeats` times.

    Each copy holds almost no data, but the decoder still walks every block
    of the picture for it: the 30,000-scan, 6320×6320 file is 0.9 MB.
    """
    buf = io.BytesIO()
    Image.new("L", (side, side), 128).save(buf, "JPEG", progressive=True)
    data = buf.getvalue()
    scans, eoi = _jpeg_scans(data)
    start, entropy = scans[-1]
    scan = data[start : entropy + 13]  # the 10-byte scan header and 13 bytes of its data
    return data[:eoi] + scan * repeats + data[eoi:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_a_cut_stream(png: bytes) -> bytes:
    """The same PNG with its compressed pixels cut short, every chunk checksum still right."""
    pos, stream = 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            stream += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    header = png[: png.index(b"IDAT") - 4]  # signature, IHDR and any chunk before the pixels
    return header + png_chunk(b"IDAT", stream[: len(stream) * 2 // 3]) + png_chunk(b"IEND", b"")


def interlaced_png(pixels: np.ndarray) -> bytes:
    """An Adam7-interlaced 8-bit RGB PNG: Pillow only writes plain ones."""
    height, width, _ = pixels.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4)]
    passes += [(1, 0, 2, 2), (0, 1, 1, 2)]
    rows = b"".join(
        b"\x00" + row.tobytes()
        for x0, y0, dx, dy in passes
        for row in pixels[y0::dy, x0::dx]
        if row.size
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def with_junk_after_the_first_segment(jpeg: bytes, junk: bytes = b"\x00") -> bytes:
    """The JPEG with stray bytes after its first segment (APP0): libjpeg warns and reads on."""
    end = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:end] + junk + jpeg[end:]


def png_inflate_bomb(side: int = 1000, gigabytes: int = 4) -> bytes:
    """A valid RGB PNG whose header says side×side but whose pixel data inflates to gigabytes.

    After a full flush deflate starts afresh, so one compressed mebibyte of
    zeros (about 1 kB) repeats as is: 4 GiB fit in 4.2 MB, built at once.
    """
    mebibyte = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = mebibyte.compress(bytes(1 << 20)) + mebibyte.flush(zlib.Z_FULL_FLUSH)
    count = gigabytes << 10
    adler = ((count << 20) % 65521) << 16 | 1  # the checksum of that many zeros
    stream = b"\x78\xda" + block * count + mebibyte.flush() + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", stream)
        + png_chunk(b"IEND", b"")
    )
