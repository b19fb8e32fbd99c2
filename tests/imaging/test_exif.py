"""Keep camera details: the camera, the lens and the exposure stay; nothing that identifies."""

import io

import numpy as np
import pytest
from PIL import Image

from editor.imaging import decode, pipeline

LIMIT = 40_000_000
EXIF_IFD, GPS_IFD = 0x8769, 0x8825

# Tags a camera or phone writes that must survive, with the values written.
KEPT = {
    0x010F: "PhoneMaker",  # Make
    0x0110: "Pocket 9",  # Model
    0x0132: "2026:05:01 10:00:00",  # DateTime
}
KEPT_EXPOSURE = {
    0x829A: 0.004,  # ExposureTime
    0x829D: 1.8,  # FNumber
    0x8822: 2,  # ExposureProgram
    0x8827: 200,  # PhotographicSensitivity (ISO)
    0x9003: "2026:05:01 09:59:58",  # DateTimeOriginal
    0x9010: "+02:00",  # OffsetTime
    0x9011: "+02:00",  # OffsetTimeOriginal
    0x9204: 0.0,  # ExposureBiasValue
    0x9207: 5,  # MeteringMode
    0x9209: 16,  # Flash
    0x920A: 4.2,  # FocalLength
    0xA405: 26,  # FocalLengthIn35mmFilm
    0xA433: "PhoneMaker",  # LensMake
    0xA434: "Back camera 4.2mm f/1.8",  # LensModel
}
# Everything the red team found surviving, and more that names a person or a thing.
PERSONAL = {
    0x013B: "Jane Visitor",  # Artist
    0x8298: "(c) Jane Visitor",  # Copyright
    0x010E: "Jane's birthday at 12 Rose Lane",  # ImageDescription
    0x013C: "JANES-LAPTOP",  # HostComputer
    0x9C9D: "Jane Visitor".encode("utf-16-le"),  # XPAuthor
}
PERSONAL_EXPOSURE = {
    0xA430: "Jane Visitor",  # CameraOwnerName
    0xA431: "SN-1234567",  # BodySerialNumber
    0xA435: "LSN-7654321",  # LensSerialNumber
    0xA420: "0123456789abcdef0123456789abcdef",  # ImageUniqueID
    0x9286: b"ASCII\0\0\0call me on 555-0100",  # UserComment
    0x927C: b"MAKERNOTE serial=SN-1234567 owner=Jane",  # MakerNote
}


def _exif(orientation: int = 6, huge: bytes = b"") -> Image.Exif:
    exif = Image.Exif()
    exif.update({**KEPT, **PERSONAL, 0x0112: orientation})
    exposure = {**KEPT_EXPOSURE, **PERSONAL_EXPOSURE}
    if huge:
        exposure[0x927C] = huge  # a maker note of any size
    exif[EXIF_IFD] = exposure
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 7.5), 3: "E", 4: (4.0, 53.0, 2.0)}
    return exif


def _photo(pixels: np.ndarray, fmt: str, exif: Image.Exif) -> decode.Photo:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, exif=exif.tobytes())
    return decode.decode(buf.getvalue(), LIMIT)


def _kept(photo: decode.Photo, tool: str = "portrait") -> Image.Exif:
    options = pipeline.Options(keep_camera_details=True)
    rendered = pipeline.encode_result(photo.pixels, photo, tool, options)
    with Image.open(io.BytesIO(rendered.image)) as im:
        return im.getexif()


def test_the_camera_and_exposure_survive_and_nothing_that_identifies(astronaut):
    photo = _photo(astronaut, "JPEG", _exif())
    source = Image.Exif()
    source.load(photo.exif)
    assert source.get_ifd(EXIF_IFD)[0xA431] == "SN-1234567"  # the upload really carried them
    exif = _kept(photo)
    exposure = exif.get_ifd(EXIF_IFD)
    assert {tag: exif[tag] for tag in KEPT} == KEPT
    assert set(exposure) == set(KEPT_EXPOSURE)
    for tag, value in KEPT_EXPOSURE.items():
        assert exposure[tag] == pytest.approx(value) if isinstance(value, float) else value
    assert exif[0x0112] == 1  # the pixels are already upright
    assert set(exif) == {*KEPT, 0x0112, EXIF_IFD}  # nothing else in the main directory
    assert not exif.get_ifd(GPS_IFD)


def test_a_png_cutout_keeps_the_same_details(astronaut):
    exif = _kept(_photo(astronaut, "PNG", _exif()), tool="cutout")
    assert exif[0x0110] == "Pocket 9" and exif.get_ifd(EXIF_IFD)[0xA434] == KEPT_EXPOSURE[0xA434]
    assert not set(exif.get_ifd(EXIF_IFD)) & set(PERSONAL_EXPOSURE)
    assert not set(exif) & set(PERSONAL)


def test_a_15_mb_exif_does_not_fail_the_photo(astronaut):
    """A JPEG's EXIF segment holds 64 KB; the allow-list leaves a few hundred bytes of it."""
    photo = _photo(astronaut, "PNG", _exif(huge=b"\x01" * 15_000_000))
    assert len(photo.exif) > 15_000_000
    exif = _kept(photo)
    assert exif[0x010F] == "PhoneMaker" and 0x927C not in exif.get_ifd(EXIF_IFD)


def test_a_camera_name_built_to_be_huge_is_dropped_not_failed(astronaut):
    exif = _exif()
    exif[0x010F] = "M" * 15_000_000
    exif = _kept(_photo(astronaut, "PNG", exif))
    assert 0x010F not in exif and exif[0x0110] == "Pocket 9"
