"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable


def block(fn: Callable[[], object], calls: int) -> list[float]:
    """One untimed call (the steady state of repeated calls), then `calls` timed ones: each
    call's time in microseconds."""
    fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - t0) / 1e3)
    return times
