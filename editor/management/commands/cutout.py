from ._render import RenderCommand


class Command(RenderCommand):
    help = (
        "Cut the subject out of a photo onto transparency (RGBA PNG), without the web or a worker."
    )
    tool = "cutout"
