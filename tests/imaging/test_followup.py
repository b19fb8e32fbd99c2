"""Warnings after an edit: a spot's warning stays until the edit reaches it."""

import numpy as np

from editor.imaging import followup


def _masks():
    before = np.zeros((200, 300), np.float32)
    before[50:150, 40:120] = 1.0  # the subject
    before[60:140, 200:260] = 1.0  # a second thing kept
    after = before.copy()
    after[60:140, 200:260] = 0.0  # the visitor took the second thing out
    return before, after


def test_a_warning_whose_spot_the_edit_did_not_touch_stays():
    before, after = _masks()
    far = {"code": "check_outline", "where": [80, 100]}  # on the subject, far from the edit
    kept = followup.still_true([far], before, after, scale=1.0, fresh_codes=set())
    assert kept == [far]


def test_a_warning_whose_spot_the_edit_changed_goes():
    before, after = _masks()
    near = {"code": "check_outline", "where": [230, 100]}
    assert followup.still_true([near], before, after, scale=1.0, fresh_codes=set()) == []


def test_spots_are_found_at_the_masks_own_scale():
    before, after = _masks()
    near_in_photo = {"code": "check_outline", "where": [460, 200]}  # the photo is twice as large
    assert followup.still_true([near_in_photo], before, after, scale=0.5, fresh_codes=set()) == []


def test_a_whole_photo_warning_stays_while_the_advisor_still_gives_it():
    before, after = _masks()
    several = {"code": "several_subjects", "where": None}
    assert followup.still_true([several], before, after, scale=1.0, fresh_codes=set()) == []
    kept = followup.still_true(
        [several], before, after, scale=1.0, fresh_codes={"several_subjects"}
    )
    assert kept == [several]


def test_with_no_change_at_all_every_warning_comes_back():
    before, _ = _masks()
    warnings = [{"code": "check_outline", "where": [230, 100]}, {"code": "thin_edges"}]
    kept = followup.still_true(warnings, before, before, scale=1.0, fresh_codes={"thin_edges"})
    assert kept == warnings
