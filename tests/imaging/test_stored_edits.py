"""Edits are checked once, as they come in; what was stored reads back as it was."""

from editor.imaging import edits


def test_stored_edits_read_back_equal_without_being_checked_again():
    sent = {
        "keep": [[10, 20.5]],
        "remove": [[30, 40]],
        "strokes": [{"mode": "remove", "radius": 12, "points": [[1, 2], [3, 4]]}],
    }
    made = edits.Edits().then(edits.Batch.from_dict(sent)).then(edits.Batch.from_dict(sent))
    again = edits.Edits.stored(made.to_dict())
    assert again == made and again.taps == made.taps and again.strokes == made.strokes
    assert edits.Edits.stored({}) == edits.Edits()
