"""Run this process with glibc's allocator backing large blocks with huge pages.

Each photo's network run allocates and frees about 290 MB of activations
(u2net; the session's arena is off so that memory goes back between photos,
see editor/imaging/segment.py). In 4 KB pages that is some 73,000 page faults
a run: on the 2-core machine 0.08 s of the network's 0.37 s, and more again in
the stages after it. With glibc's `hugetlb` tunable the allocator asks the
kernel for transparent huge pages (2 MB) for those blocks, so the faults all
but vanish (0.297 s a run, against 0.287 s with the arena kept) and the peak
memory does not change (notes of issue 9).

glibc reads its tunables once, at start, so the process starts itself again
with the tunable set. Where the C library is not glibc, or older than 2.35,
the variable is ignored.
"""

from __future__ import annotations

import os
import sys

TUNABLES = "GLIBC_TUNABLES"
HUGE_PAGES = "glibc.malloc.hugetlb=1"


def use_huge_pages() -> None:
    """Re-run this very command with the tunable set, unless it is set (or chosen) already."""
    if not sys.platform.startswith("linux") or TUNABLES in os.environ:
        return
    os.environ[TUNABLES] = HUGE_PAGES
    os.execv(sys.executable, sys.orig_argv)
