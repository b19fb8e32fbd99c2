"""Reports that measure the pipeline on photos: quality, clicks, the guide's figures.

Only management commands and tests import these; the site never does.
"""
