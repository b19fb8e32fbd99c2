"""A job's states and stages, and what a visitor reads about them: plain data.

The pages, the API and its OpenAPI document all read these names from here.
"""

STATES = ("queued", "running", "done", "failed")
STAGES = {
    "queued": "Waiting for a free worker",
    "segmenting": "Finding the subject",
    "compositing": "Blending the layers",
    "saving": "Saving your result",
}
TOOL_SLUGS = {"portrait": "portrait", "cutout": "remove-background"}

GENERIC_ERROR = "Something went wrong on our side while processing this photo. Please try again."
TOO_SLOW = "Processing this photo took too long. A smaller or tighter-cropped photo will be faster."
WORKER_LOST = "The worker handling this photo stopped before it finished. Please try again."
LOST = "This photo has waited far too long and was probably lost from the queue. Please try again."
FORGOTTEN = "We lost track of this photo during a restart on our side. Please try again."
EXPIRED = "This job has expired and its photo was deleted. Please upload it again."
