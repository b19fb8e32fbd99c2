"""The job layer: a job's record, its files, its status, and every read and write of it.

Views, the API, tasks and commands call the services here; only this package talks to
Redis, Celery's result backend and the job storage.
"""
