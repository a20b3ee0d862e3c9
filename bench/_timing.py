"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import platform
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


def cpu_model() -> str:
    """The CPU's name from /proc/cpuinfo (else what platform says), for the reports."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model", "Hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
