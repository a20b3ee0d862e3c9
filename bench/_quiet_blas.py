"""Imported by every benchmark before numpy: one OpenBLAS thread.

No candidate calls BLAS, but numpy's OpenBLAS starts a thread pool at import whose idle threads
spin for a while (about a fifth of the samples of a short run in perf here), taking the second
core from 2-thread candidates. An explicit OPENBLAS_NUM_THREADS is kept.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
