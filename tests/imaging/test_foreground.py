import cv2
import numpy as np
import pytest

from editor.imaging import effects, foreground

NEW_BACKGROUND = (255, 0, 255)


@pytest.fixture(scope="module")
def scene():
    """A smooth orange subject with a soft, wavy outline over a textured blue-green background."""
    size = 320
    y, x = np.mgrid[:size, :size]
    fg = np.dstack([np.full((size, size), 235), 90 + x * 0.25, np.full((size, size), 40)])
    rng = np.random.default_rng(3)
    back = np.dstack([np.full((size, size), 30), rng.integers(60, 200, (size, size)), 180 - y / 4])
    # A wavy edge so the soft band runs in every direction; 6 px from 0 to 1.
    edge = size / 2 + 20 * np.sin(y / 15)
    alpha = np.clip((edge - x) / 6 + 0.5, 0, 1).astype(np.float32)
    fg, back = (np.clip(c, 0, 255).astype(np.uint8) for c in (fg, back))
    a = alpha[..., np.newaxis]
    photo = (fg * a + back * (1 - a) + 0.5).astype(np.uint8)
    return photo, fg, alpha


def edge_error(colours: np.ndarray, fg: np.ndarray, alpha: np.ndarray) -> float:
    """Mean colour error where the subject is partly transparent, on a new background."""
    ideal = effects.on_colour(fg, alpha, NEW_BACKGROUND)
    result = effects.on_colour(colours, alpha, NEW_BACKGROUND)
    partial = (alpha > 0) & (alpha < 1)
    return float(np.abs(result.astype(int) - ideal)[partial].mean())


def test_a_cutout_on_a_new_background_shows_far_less_fringe_with_estimated_colours(scene):
    photo, fg, alpha = scene
    raw = edge_error(photo, fg, alpha)
    ours = edge_error(foreground.estimate(photo, alpha), fg, alpha)
    assert raw > 10  # the old background really does show through the raw colours
    assert ours < raw / 4


def test_the_estimated_colour_is_close_to_the_true_one_where_the_subject_is_solid_enough(scene):
    photo, fg, alpha = scene
    estimated = foreground.estimate(photo, alpha).astype(int)
    mostly = (alpha >= 0.5) & (alpha < 1)
    ours = np.abs(estimated - fg)[mostly].mean()
    raw = np.abs(photo.astype(int) - fg)[mostly].mean()
    assert ours < raw / 4


def test_it_leaves_the_solid_subject_as_it_is(scene):
    photo, _, alpha = scene
    estimated = foreground.estimate(photo, alpha)
    assert estimated.dtype == np.uint8 and estimated.shape == photo.shape
    assert (estimated[alpha == 1] == photo[alpha == 1]).all()


def test_just_outside_the_edge_it_carries_the_subjects_colour_not_the_background(scene):
    photo, fg, alpha = scene
    near = cv2.dilate((alpha > 0).astype(np.uint8), np.ones((9, 9))).astype(bool)
    outside = (alpha == 0) & near
    estimated = foreground.estimate(photo, alpha).astype(int)
    assert (
        np.abs(estimated - fg)[outside].mean() < np.abs(photo.astype(int) - fg)[outside].mean() / 3
    )


def test_a_photo_without_any_soft_edge_comes_back_unchanged(astronaut):
    hard = np.zeros(astronaut.shape[:2], np.float32)
    hard[100:400, 150:350] = 1
    assert (foreground.estimate(astronaut, hard) == astronaut).all()


def test_a_shrunk_copy_given_beforehand_gives_the_same_colours(scene):
    """The pipeline hands over refine's 1024 px copy, so the wide pass need not read the
    whole photo again: the edge colours come out the same, give or take one level."""
    from editor.imaging import refine

    photo, fg, alpha = (cv2.resize(x, (1600, 1600), interpolation=cv2.INTER_LINEAR) for x in scene)
    plain = foreground.estimate(photo, alpha)
    handed = foreground.estimate(photo, alpha, shrunk=refine.work_copy(photo))
    assert np.abs(handed.astype(int) - plain).max() <= 1
    assert abs(edge_error(handed, fg, alpha) - edge_error(plain, fg, alpha)) < 0.05
