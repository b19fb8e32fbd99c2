from ._render import RenderCommand


class Command(RenderCommand):
    help = "Blur the background of a photo (portrait mode), without the web or a worker."
    tool = "portrait"
