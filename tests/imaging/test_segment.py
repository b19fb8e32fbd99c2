import numpy as np
import pytest

from editor.imaging import segment
from editor.imaging.errors import ModelError
from tests.paths import U2NET, U2NET_INT8, U2NET_SHA256


@pytest.fixture(scope="module")
def model():
    return segment.session(str(U2NET), U2NET_SHA256)


def test_the_mask_covers_the_person_and_not_the_sky(cameraman, model):
    mask = segment.predict(cameraman, model)
    assert mask.shape == cameraman.shape[:2] and mask.dtype == np.float32
    assert 0.0 <= mask.min() and mask.max() <= 1.0
    assert mask[170:300, 70:230].mean() > 0.9  # his coat and arms
    assert mask[70:130, 190:250].mean() > 0.9  # his head
    assert mask[0:150, 300:512].mean() < 0.02  # the sky behind him


def test_the_mask_keeps_the_photos_full_size(astronaut, model):
    wide = np.ascontiguousarray(np.hstack([astronaut, astronaut[:, ::-1]]))  # 1024×512
    assert segment.predict(wide, model).shape == (512, 1024)


def test_the_session_is_built_once_per_process(model):
    assert segment.session(str(U2NET), U2NET_SHA256) is model


def test_a_missing_weight_file_names_the_command_that_fetches_it(tmp_path):
    with pytest.raises(ModelError, match="make models"):
        segment.session(str(tmp_path / "u2net.onnx"))


def test_a_damaged_weight_file_names_the_command_that_fetches_it(tmp_path):
    damaged = tmp_path / "u2net.onnx"
    damaged.write_bytes(U2NET.read_bytes()[:100_000])
    with pytest.raises(ModelError, match="damaged.*make models"):
        segment.session(str(damaged), U2NET_SHA256)
    with pytest.raises(ModelError, match="could not be loaded.*make models"):
        segment.session(str(damaged))


def test_the_int8_model_finds_the_same_subject_as_fp32(model):
    from skimage import data

    photo = data.stereo_motorcycle()[1]  # the right view: not among the calibration photos
    fp32 = segment.saliency(photo, model)
    int8 = segment.saliency(photo, segment.session(str(U2NET_INT8)))
    assert np.abs(fp32 - int8).max() > 0.01  # really another network
    inside, found = fp32 > 0.5, int8 > 0.5
    assert (inside & found).sum() / (inside | found).sum() > 0.95


def test_a_large_photo_gives_the_network_its_shrunk_copy_and_the_same_mask(astronaut, model):
    """The pipeline feeds the network refine's 1024 px work copy, not the whole photo: one
    full-size pass fewer, and the same subject."""
    import cv2

    from editor.imaging import refine

    big = cv2.resize(astronaut, (3000, 3000), interpolation=cv2.INTER_CUBIC)
    small = refine.work_copy(big)
    assert small.shape == (1024, 1024, 3)
    from_whole = segment.saliency(big, model) > 0.5
    from_copy = segment.saliency(small, model) > 0.5
    assert (from_copy & from_whole).sum() / (from_copy | from_whole).sum() > 0.995
