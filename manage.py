#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    from config.allocator import use_huge_pages

    use_huge_pages()  # re-runs this command once: see config/allocator.py
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
