import io
import os
import subprocess
import sys

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.conftest import encode
from tests.paths import ROOT


@pytest.fixture
def photo(tmp_path, astronaut):
    path = tmp_path / "in.jpg"
    path.write_bytes(encode(astronaut[:, :400]))
    return path


def test_portrait_writes_a_full_size_jpeg_and_the_mask(photo, tmp_path):
    out, mask = tmp_path / "out.jpg", tmp_path / "mask.png"
    stdout = io.StringIO()
    call_command("portrait", str(photo), str(out), "--mask", str(mask), stdout=stdout)
    assert Image.open(out).format == "JPEG" and Image.open(out).size == (400, 512)
    assert Image.open(mask).mode == "L" and Image.open(mask).size == (400, 512)
    assert "400×512" in stdout.getvalue()


def test_cutout_writes_an_rgba_png_with_the_smaller_model(photo, tmp_path):
    out, mask = tmp_path / "out.png", tmp_path / "mask.png"
    call_command(
        "cutout",
        str(photo),
        str(out),
        "--model",
        "u2netp",
        "--mask",
        str(mask),
        stdout=io.StringIO(),
    )
    cutout = Image.open(out)
    assert cutout.mode == "RGBA" and cutout.size == (400, 512)
    assert (np.asarray(cutout)[..., 3] == np.asarray(Image.open(mask))).all()


def test_the_int8_model_is_chosen_by_name(photo, tmp_path):
    out = tmp_path / "out.png"
    call_command("cutout", str(photo), str(out), "--model", "u2net-int8", stdout=io.StringIO())
    assert Image.open(out).mode == "RGBA" and Image.open(out).size == (400, 512)


def test_the_two_models_give_different_masks(photo, tmp_path):
    for model in ("u2net", "u2netp"):
        call_command(
            "cutout",
            str(photo),
            str(tmp_path / f"{model}.png"),
            "--model",
            model,
            "--mask",
            str(tmp_path / f"{model}-mask.png"),
            stdout=io.StringIO(),
        )
    big = np.asarray(Image.open(tmp_path / "u2net-mask.png"), dtype=int)
    lite = np.asarray(Image.open(tmp_path / "u2netp-mask.png"), dtype=int)
    assert np.abs(big - lite).mean() > 1  # really a different network
    assert ((big > 127) == (lite > 127)).mean() > 0.85  # that finds the same subject


def test_a_bad_input_is_a_clear_error_not_a_traceback(tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("shopping list")
    with pytest.raises(CommandError, match="not a photo we can read"):
        call_command("portrait", str(bad), str(tmp_path / "out.jpg"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("portrait", str(tmp_path / "missing.jpg"), str(tmp_path / "out.jpg"))


def _manage(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """manage.py as a person runs it: no SECRET_KEY and no DEBUG in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_manage_py_runs_it_as_the_readme_shows_without_a_secret_key(photo, tmp_path):
    out = tmp_path / "out.jpg"
    done = _manage("portrait", str(photo), str(out))
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (400, 512)


def test_the_web_still_refuses_to_start_without_a_secret_key():
    done = _manage("check", timeout=60)
    assert done.returncode != 0
    assert "Set SECRET_KEY" in done.stderr


@pytest.fixture
def folder(tmp_path, astronaut, cameraman):
    """Two photos, one damaged photo and a file that is not a photo at all."""
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "astronaut.jpg").write_bytes(encode(astronaut[:, :400]))
    (folder / "cameraman.png").write_bytes(encode(cameraman[:300], "PNG"))
    (folder / "broken.jpg").write_bytes(encode(astronaut)[:2000])
    (folder / "notes.txt").write_text("not a photo, and not ours to read")
    return folder


def test_a_folder_becomes_a_folder_of_results_and_a_damaged_photo_fails_the_run(folder, tmp_path):
    out = tmp_path / "out"
    done = _manage("cutout", str(folder), str(out), "--mask", "--model", "u2netp")
    assert done.returncode != 0
    assert "broken.jpg" in done.stderr and "damaged" in done.stderr
    assert "notes.txt" not in done.stderr  # not a photo: not tried
    assert "3/3" in done.stderr  # tqdm's progress bar counted every photo
    assert sorted(p.name for p in out.iterdir()) == [
        "astronaut-mask.png",
        "astronaut.png",
        "cameraman-mask.png",
        "cameraman.png",
    ]
    cutout = Image.open(out / "cameraman.png")
    assert cutout.mode == "RGBA" and cutout.size == (512, 300)
    alpha = np.asarray(cutout)[..., 3]
    assert (alpha == np.asarray(Image.open(out / "cameraman-mask.png"))).all()


def test_a_folder_of_good_photos_succeeds(folder, tmp_path):
    (folder / "broken.jpg").unlink()
    stdout = io.StringIO()
    call_command("portrait", str(folder), str(tmp_path / "out"), stdout=stdout)
    assert "wrote 2 of 2 photos" in stdout.getvalue()
    assert Image.open(tmp_path / "out" / "astronaut.jpg").size == (400, 512)
    assert not list((tmp_path / "out").glob("*-mask.png"))


# --- the look: --strength, --style, --background, --format, --keep-camera-details ---


def _render(tool: str, photo, out, *look: str) -> np.ndarray:
    """One photo through the command with the small model, in the look given; its pixels."""
    call_command(tool, str(photo), str(out), "--model", "u2netp", *look, stdout=io.StringIO())
    return np.asarray(Image.open(out), dtype=float)


@pytest.fixture
def background(photo, tmp_path):
    """Where the small model's mask says background, without a doubt."""
    mask = tmp_path / "mask.png"
    call_command(
        "cutout", str(photo), str(tmp_path / "m.png"), "--model", "u2netp", "--mask", str(mask),
        stdout=io.StringIO(),
    )  # fmt: skip
    return np.asarray(Image.open(mask)) == 0


def test_format_webp_gives_a_webp_portrait_and_jpeg_a_jpeg(photo, tmp_path):
    _render("portrait", photo, tmp_path / "out.webp", "--format", "webp")
    assert Image.open(tmp_path / "out.webp").format == "WEBP"
    _render("portrait", photo, tmp_path / "out.jpg", "--format", "jpeg")
    assert Image.open(tmp_path / "out.jpg").format == "JPEG"
    # png is the cutout's format, not the portrait's: the site's rule
    with pytest.raises(CommandError, match="--format must be one of jpeg, webp"):
        _render("portrait", photo, tmp_path / "out.png", "--format", "png")


def test_format_png_gives_a_png_cutout_and_webp_lossless_a_transparent_webp(photo, tmp_path):
    _render("cutout", photo, tmp_path / "out.png", "--format", "png")
    assert Image.open(tmp_path / "out.png").format == "PNG"
    pixels = _render("cutout", photo, tmp_path / "out.webp", "--format", "webp-lossless")
    assert Image.open(tmp_path / "out.webp").format == "WEBP"
    assert pixels.shape[2] == 4 and pixels[..., 3].min() == 0


def test_a_colour_background_fills_the_cutouts_background_with_it(photo, background, tmp_path):
    pixels = _render("cutout", photo, tmp_path / "out.png", "--background=#ff8000")
    assert pixels.shape[2] == 3  # a solid colour: no transparency left
    assert (pixels[background] == [255, 128, 0]).all()
    assert not (pixels[~background] == [255, 128, 0]).all(axis=-1).all()  # the subject stays


def test_a_blur_background_keeps_the_cutouts_background_blurred(photo, background, tmp_path):
    original = np.asarray(Image.open(photo), dtype=float)
    pixels = _render("cutout", photo, tmp_path / "out.png", "--background", "blur")
    assert pixels.shape[2] == 3
    assert np.abs(pixels - original)[background].mean() > 3  # changed, not removed


def test_a_stronger_blur_changes_the_background_more(photo, background, tmp_path):
    original = np.asarray(Image.open(photo), dtype=float)
    change = {}
    for strength in ("0.25", "1", "3"):
        pixels = _render("portrait", photo, tmp_path / f"{strength}.jpg", "--strength", strength)
        change[strength] = np.abs(pixels - original)[background].mean()
    assert change["0.25"] < change["1"] < change["3"]


def test_the_lens_style_gives_another_blur(photo, background, tmp_path):
    soft = _render("portrait", photo, tmp_path / "soft.jpg")
    lens = _render("portrait", photo, tmp_path / "lens.jpg", "--style", "lens")
    assert np.abs(soft - lens)[background].mean() > 1
    assert np.abs(soft - lens)[~background].mean() < np.abs(soft - lens)[background].mean()


@pytest.fixture
def photo_with_exif(tmp_path, astronaut):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Softfocus Optics", "Test Body 1"  # Make, Model
    path = tmp_path / "camera.jpg"
    path.write_bytes(encode(astronaut[:, :400], exif=exif.tobytes()))
    return path


def test_camera_details_are_kept_only_when_asked(photo_with_exif, tmp_path):
    _render("portrait", photo_with_exif, tmp_path / "plain.jpg")
    assert not Image.open(tmp_path / "plain.jpg").getexif()
    _render("portrait", photo_with_exif, tmp_path / "kept.jpg", "--keep-camera-details")
    kept = Image.open(tmp_path / "kept.jpg").getexif()
    assert (kept[0x010F], kept[0x0110]) == ("Softfocus Optics", "Test Body 1")


def test_a_folder_gets_the_look_too(folder, tmp_path):
    (folder / "broken.jpg").unlink()
    out = tmp_path / "out"
    call_command(
        "cutout", str(folder), str(out), "--model", "u2netp", "--format", "webp-lossless",
        "--background=#00ff00", stdout=io.StringIO(),
    )  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["astronaut.webp", "cameraman.webp"]
    assert Image.open(out / "cameraman.webp").mode == "RGB"  # on green: nothing transparent


@pytest.mark.parametrize(
    ("tool", "look", "message"),
    [
        ("portrait", ["--strength", "5"], "--strength must be between 0.25 and 3.0"),
        ("portrait", ["--strength", "0.1"], "--strength must be between 0.25 and 3.0"),
        ("portrait", ["--strength", "nan"], "--strength must be between 0.25 and 3.0"),
        ("portrait", ["--strength", "lots"], "invalid float value: 'lots'"),
        ("portrait", ["--style", "bokeh"], "--style must be one of gaussian, lens"),
        ("portrait", ["--format", "gif"], "--format must be one of jpeg, webp"),
        ("cutout", ["--format", "jpeg"], "--format must be one of png, webp-lossless"),
        ("cutout", ["--background", "red"], "--background must be transparent, blur or a colour"),
        ("cutout", ["--background", "#12345"], "--background must be transparent, blur or a"),
        ("portrait", ["--background", "blur"], "--background is for cutout"),
    ],
)
def test_each_bad_look_is_refused_with_its_reason(photo, tmp_path, tool, look, message):
    out = tmp_path / "out"
    with pytest.raises(CommandError, match=message):
        call_command(tool, str(photo), str(out), *look, stdout=io.StringIO())
    assert not out.exists()


def test_manage_py_says_what_is_wrong_with_a_look_without_a_traceback(photo, tmp_path):
    done = _manage("cutout", str(photo), str(tmp_path / "out.png"), "--background", "red")
    assert done.returncode != 0
    assert "--background must be transparent, blur or a colour" in done.stderr
    assert "Traceback" not in done.stderr


# --- make_home_figures: the home and tool pages' before/after pictures ---


def test_make_home_figures_draws_each_example_through_the_pipeline(tmp_path):
    stdout = io.StringIO()
    call_command("make_home_figures", "--out", str(tmp_path), "--model", "u2netp", stdout=stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cutout-after.jpg",
        "cutout-before.jpg",
        "portrait-after.jpg",
        "portrait-before.jpg",
    ]
    assert stdout.getvalue().count("wrote ") == 4

    def pixels(name: str) -> np.ndarray:
        image = Image.open(tmp_path / f"{name}.jpg")
        assert image.format == "JPEG"
        return np.asarray(image, dtype=float)

    before, after = pixels("portrait-before"), pixels("portrait-after")
    assert before.shape == after.shape == (341, 512, 3)
    flag, face = (slice(0, 200), slice(0, 60)), (slice(60, 160), slice(200, 280))
    assert np.abs(before - after)[flag].mean() > 3 * np.abs(before - after)[face].mean()

    before, after = pixels("cutout-before"), pixels("cutout-after")
    assert before.shape == after.shape == (400, 600, 3)
    corner = after[:40, :40]  # the table is gone: only the checkerboard's two greys are left
    assert (np.minimum(np.abs(corner - 255), np.abs(corner - 214)) < 12).all()
    cup = (slice(150, 250), slice(250, 350))
    assert np.abs(before - after)[cup].mean() < 8  # the cup itself is kept
