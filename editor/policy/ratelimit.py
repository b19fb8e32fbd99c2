"""Fixed-window counters in the shared cache (Redis): how often a client, or a job, may act."""

from django.core.cache import cache

from editor.policy.middleware import UNREACHABLE


def allow(bucket: str, key: str, limit: int, window: int) -> bool:
    """Count one more action; False once `limit` were counted in this window (0: no limit)."""
    if limit <= 0:
        return True
    name = f"{bucket}:{key}"
    try:
        cache.add(name, 0, timeout=window)  # starts the window; no-op if it is running
        return cache.incr(name) <= limit
    except (*UNREACHABLE, ValueError):
        # Redis down: let it through, the queue will answer with a 503.
        return True
