class ImageError(ValueError):
    """A photo we cannot work with. The message is written for a visitor."""


class ModelError(RuntimeError):
    """The segmentation weights are missing or damaged. Meant for operators."""
