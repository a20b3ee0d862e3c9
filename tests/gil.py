"""A check that a call releases the GIL while it works."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pixnorm


def assert_releases_gil(call: Callable[[], Any], repeats: int = 3) -> None:
    """While `call` runs, another Python thread keeps running. If the call held the GIL the
    spinning thread could not record a single tick inside the middle half of the call."""
    ticks: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())

    call()  # warm-up, unmeasured: first-use setup (cached inputs, allocations) may release the GIL
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    pixnorm.set_num_threads(1)
    spans = []
    worker = threading.Thread(target=spin)
    worker.start()
    try:
        time.sleep(0.005)
        for _ in range(repeats):
            t0 = time.perf_counter()
            call()
            spans.append((t0, time.perf_counter()))
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(old)
        pixnorm.set_num_threads(None)
    inside = 0
    for t0, t1 in spans:
        lo, hi = t0 + 0.25 * (t1 - t0), t1 - 0.25 * (t1 - t0)
        inside += sum(1 for t in ticks if lo < t < hi)
    assert inside > 50, (inside, [b - a for a, b in spans])
