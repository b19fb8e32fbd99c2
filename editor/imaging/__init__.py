"""The image pipeline: decode, segment, composite, encode.

Pure Python on numpy, Pillow, OpenCV and ONNX Runtime. It never imports
Django, Celery or settings: everything arrives as arguments, so a worker, the
CLI and the tests all call it the same way.
"""
