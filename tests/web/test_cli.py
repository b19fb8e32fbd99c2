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
