"""Request policy: what any request may do before a view runs.

Upload size and rate limits, per-client limits, security headers, and the answers
given when a dependency (Redis, storage) is down.
"""
