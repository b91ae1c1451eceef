"""Imported once by the extraction forkserver (tasks/process/pool.py); every worker forks from it.

Loading here, not in each worker, means a replaced worker starts in a fork's time and
the workers share these pages: the extraction code and the language model.

Start-up is on the critical path of every run (no document is extracted before this
finishes), so the language model (read from its decompressed copy in the cache folder,
tasks/normalise/language.py) loads in a thread while the extraction code is imported. The
thread is joined before this module finishes, so no thread exists when workers fork.
"""

import atexit
import gc
import os
import threading

from tasks.normalise.language import language_identifier

_model_loader = threading.Thread(target=language_identifier, name="load-language-model")
_model_loader.start()
from tasks.extract import record as extract  # noqa: E402, F401  (the import is the point)

# every job's handler: pyarrow and the schemas (and pandas, which pyarrow imports on its
# first conversion of Python values when it is installed) load here once, ~0.3 s that
# each worker's first job paid after its fork
from tasks.process import pieces  # noqa: E402, F401

_model_loader.join()

# Everything loaded so far lives as long as the workers: keep it out of the cyclic
# garbage collector's scans (and its pages shared between workers, copy-on-write).
gc.freeze()
# lxml/trafilatura allocate many short-lived objects per page; collecting the young
# generation every 700 allocations costs ~2-4 % of extraction time and frees no more
# (peak memory measured lower, not higher, with this setting).
gc.set_threshold(20_000, 20, 20)

# The forkserver ends when the driver does. Tearing this interpreter down frees every object
# the libraries above made (~0.2 s) while whoever reads the driver's output waits for the
# pipes it holds to close; the forkserver has nothing to flush or save.
atexit.register(os._exit, 0)
