"""Python's cycle collector held off while an import plans or writes its rows.

Planning 100,000 rows makes millions of small objects (dicts, dates, amounts) that live until the
import ends; the cycle collector would walk them again and again as they accumulate, which doubles
the time of a large import. Reference counting still frees everything that is not a cycle; the
collector resumes when the outermost ``held`` ends (if it was running before).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def held():
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
