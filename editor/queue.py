"""Is a job really waiting? Asked of the broker's queue, not guessed from the job's state.

A job is "PENDING" from its upload until its worker reports the first stage,
which includes the moment a free worker has already taken it. Only a message
still in the broker's list is waiting for a worker. Kombu's Redis transport
LPUSHes messages and workers BRPOP them, so the ones to its right go first.
"""

from django.conf import settings

from . import records

LOOK_AT_MOST = 500  # a queue longer than this is "busy" enough; don't read it all


def jobs_ahead(job_id: str) -> int | None:
    """How many jobs a worker takes before this one; None when no longer in the queue.

    Only first analyses are looked for: a new look of a finished job shows its
    last result meanwhile, never a queue."""
    queue = settings.JOBS_QUEUE
    waiting = records.redis_client().lrange(queue, -LOOK_AT_MOST, -1)  # the oldest ones
    needle = job_id.encode()  # a job's message names it (task id, argument): no need to parse
    for position, raw in enumerate(reversed(waiting)):
        if needle in raw:
            return position
    if len(waiting) == LOOK_AT_MOST and records.redis_client().llen(queue) > LOOK_AT_MOST:
        return LOOK_AT_MOST  # somewhere further back
    return None
