"""Imported once by the extraction forkserver (tasks/process/pool.py); every worker forks from it.

Loading here, not in each worker, means a replaced worker starts in a fork's time and
the workers share these pages: the extraction code and the language model.

Start-up is on the critical path of every run (no document is extracted before this
finishes), so the language model (mostly LZMA decompression, which releases the GIL)
loads in a thread while the extraction code is imported: ~0.7 s instead of ~1.2 s. The
thread is joined before this module finishes, so no thread exists when workers fork.
"""

import gc
import threading

from tasks.normalise.language import language_identifier

_model_loader = threading.Thread(target=language_identifier, name="load-language-model")
_model_loader.start()
from tasks.extract import record as extract  # noqa: E402, F401  (the import is the point)

_model_loader.join()

# Everything loaded so far lives as long as the workers: keep it out of the cyclic
# garbage collector's scans (and its pages shared between workers, copy-on-write).
gc.freeze()
# lxml/trafilatura allocate many short-lived objects per page; collecting the young
# generation every 700 allocations costs ~2-4 % of extraction time and frees no more
# (peak memory measured lower, not higher, with this setting).
gc.set_threshold(20_000, 20, 20)
