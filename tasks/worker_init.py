"""Imported once by the extraction forkserver (tasks/pool.py); every worker forks from it.

Loading here, not in each worker, means a replaced worker starts in a fork's time and
the workers share these pages: the extraction code and the language model.
"""

from tasks import extract  # noqa: F401  (the import is the point)
from tasks.normalise import language_identifier

language_identifier()
