"""The threads of a process that answers questions.

A question's matrix products are small (the best ~100 passages' vectors against each other to fold
near-duplicates, a few dozen lede vectors against the question), and no step of indexing multiplies
large matrices with numpy (the model runs on onnxruntime, the vector index is FAISS). Yet numpy's
OpenBLAS hands each product above a small size to every core, and the thread it woke keeps spinning
for a while afterwards, on the core the next question's embedding needs. With numpy's BLAS on one
thread, measured on 2 cores over the bare shape's questions asked back to back: `ask` p50 8.72 / 9.23
-> 7.81 / 8.84 ms; and then onnxruntime's own workers may spin (index/embedding.py), 7.66 / 7.32 ms.
With both spinning it is worse than either: 10.73 / 14.19 ms. So the encoder spins only when
quiet_blas() has made sure numpy's BLAS will not.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def blas_threads() -> list[int]:
    """The thread count of each BLAS library loaded in this process (numpy's OpenBLAS, ...)."""
    from threadpoolctl import threadpool_info

    return [int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"]


def quiet_blas() -> bool:
    """Put the process's BLAS on one thread, for good. True when every BLAS library loaded is on one
    thread afterwards (the encoder may then spin); False when it could not be done (threadpoolctl
    missing, or another thread of the process controls OpenBLAS's limit): then nothing spins."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    import numpy  # noqa: F401  (its BLAS must be loaded to be limited)

    threadpool_limits(limits=1, user_api="blas")
    threads = blas_threads()
    if any(n != 1 for n in threads):
        log.info("numpy's BLAS stays on %s threads: the question encoder will not spin", threads)
        return False
    return True
