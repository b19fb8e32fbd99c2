from celery.backends.redis import RedisBackend


class PollingRedisBackend(RedisBackend):
    """Celery's Redis result backend, without a pub/sub subscription per sent job.

    The stock backend subscribes to every job's result channel when the job is
    sent, so that `result.get()` can wait for it. We never wait: pages poll.
    That subscription also ties each web process to one long-lived connection
    which, after a Redis outage, retries for 20 s and then gives up for good
    ("the Celery application must be restarted").
    """

    def on_task_call(self, producer, task_id) -> None:
        pass
