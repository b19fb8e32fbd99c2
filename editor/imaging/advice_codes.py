"""The advisor's warning codes: plain data, so the web and the API document can name
them without loading OpenCV. advice.ADVICE holds a message for each (a test checks)."""

WARNINGS = (
    "no_subject",
    "several_subjects",
    "touching_background",
    "thin_edges",
    "already_shallow",
    "point_lights",
    "subject_not_sharpest",
    "camouflage",
    "small_subject",
    "check_outline",
)
