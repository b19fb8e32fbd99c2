"""The worker's side: what a Celery task does to a job, and the model it runs.

Imported only by tasks and management commands, never by the web (it pulls in OpenCV
and ONNX Runtime).
"""
