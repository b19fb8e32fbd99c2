"""The JSON API for scripts and its OpenAPI document.

Same services as the pages, answered as JSON; the document is built from the same
limits and formats the server checks.
"""
