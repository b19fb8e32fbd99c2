"""What the tests see of job files, whichever storage backend the run uses."""

from editor.jobs import files as jobfiles


def job_ids() -> set[str]:
    return set(jobfiles.job_ids())


def files() -> set[str]:
    return {f"{job_id}/{name}" for job_id in job_ids() for name in jobfiles.names(job_id)}


def job_id(job_url: str) -> str:
    return job_url.split("/")[2]
