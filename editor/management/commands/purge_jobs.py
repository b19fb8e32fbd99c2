import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from editor.jobs import batches, services

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Delete jobs that finished longer ago than JOB_RETENTION_SECONDS. With --forever, "
        "do it every PURGE_INTERVAL_SECONDS (the Procfile's janitor): a process of its own, "
        "so the purge never waits behind photos in the queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("--forever", action="store_true", help="keep purging, never exit")

    def handle(self, *args, forever: bool, **options):
        while True:
            try:
                expired = services.jobs_purge()
                batches.batches_purge()  # a batch goes once none of its jobs is left
            except Exception:
                if not forever:
                    raise
                logger.exception("the purge failed; the next round tries again")
                expired = []
            if expired or not forever:
                self.stdout.write(f"deleted {len(expired)} expired jobs")
                self.stdout.flush()
            if not forever:
                return
            time.sleep(settings.PURGE_INTERVAL_SECONDS)
