"""The pages for people: the tools, the job and batch pages, the guide, downloads.

Views here validate input with the forms, call one job-layer service and render a
template or redirect; they never talk to Celery or storage themselves.
"""
