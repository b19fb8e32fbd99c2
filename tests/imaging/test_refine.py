import cv2
import numpy as np
import pytest

from editor.imaging import refine, segment
from editor.reports import metrics


@pytest.fixture(scope="module")
def sharp_object():
    """A 960 px photo of a sharp-edged object on a textured background, its true mask,
    and what the network would give: the mask at 320 px, blurred."""
    size = 960
    truth = np.zeros((size, size), np.uint8)
    cv2.ellipse(truth, (480, 500), (300, 220), 25, 0, 360, 1, -1)
    cv2.rectangle(truth, (430, 100), (530, 400), 1, -1)  # a neck: a thinner part to keep
    rng = np.random.default_rng(7)
    texture = cv2.GaussianBlur(rng.normal(0, 25, (size, size)).astype(np.float32), (0, 0), 3)
    photo = np.where(truth[..., np.newaxis], (200, 150, 90), (60, 110, 140)) + texture[..., None]
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    small = cv2.resize(truth.astype(np.float32), (320, 320), interpolation=cv2.INTER_AREA)
    soft = cv2.GaussianBlur(small, (0, 0), 1.5)
    return photo, truth.astype(np.float32), soft


def transition_width(mask: np.ndarray, truth: np.ndarray) -> float:
    """Pixels that are neither clearly in nor out, per pixel of true outline."""
    return float(((mask > 0.1) & (mask < 0.9)).sum() / metrics.outline(truth > 0.5).sum())


def test_it_gives_a_full_size_mask_in_0_to_1(sharp_object):
    photo, _, soft = sharp_object
    mask = refine.refine(photo, soft)
    assert mask.shape == photo.shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0 and mask.max() <= 1


def test_it_sharpens_a_blurry_outline_onto_the_photos_own_edge(sharp_object):
    photo, truth, soft = sharp_object
    plain, refined = segment.upscale(soft, photo.shape), refine.refine(photo, soft)
    assert transition_width(refined, truth) < transition_width(plain, truth) / 3
    assert metrics.boundary_f(refined, truth, 1) > metrics.boundary_f(plain, truth, 1)
    assert metrics.mae(refined, truth) < metrics.mae(plain, truth) / 2


def test_it_keeps_the_subject_and_the_background_where_the_mask_is_sure(sharp_object):
    photo, truth, soft = sharp_object
    refined = refine.refine(photo, soft)
    off_outline = (~metrics.outline(truth > 0.5)).astype(np.uint8)
    far = cv2.distanceTransform(off_outline, cv2.DIST_L2, 5) > 20
    assert np.abs(refined - truth)[far].max() < 0.05


def test_it_works_on_photos_smaller_than_the_networks_map(sharp_object):
    photo, _, soft = sharp_object
    small = cv2.resize(photo, (200, 150), interpolation=cv2.INTER_AREA)
    assert refine.refine(small, soft).shape == (150, 200)


def test_a_mask_identical_to_the_truth_scores_perfectly():
    truth = np.zeros((50, 60), np.float32)
    truth[10:40, 20:50] = 1
    assert metrics.mae(truth, truth) == 0
    assert metrics.boundary_f(truth, truth) == 1
    scores = metrics.MaskScores()
    scores.add(truth, truth)
    assert scores.max_f == pytest.approx(1)


def test_a_work_copy_made_beforehand_gives_the_same_mask(sharp_object):
    photo, _, soft = sharp_object
    large = np.ascontiguousarray(np.tile(photo, (2, 2, 1)))  # 1920 px: refined at 1024
    small = refine.work_copy(large)
    assert max(small.shape[:2]) == refine.WORK_SIDE
    assert np.array_equal(refine.refine(large, soft, shrunk=small), refine.refine(large, soft))
    assert refine.work_copy(photo) is photo  # under 1024 px the photo is its own copy
