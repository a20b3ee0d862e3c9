"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence


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


def rotated_rounds(
    flat: Sequence[tuple[str, str, Callable[[], object]]], rounds: int, calls: int
) -> dict[tuple[str, str], list[float]]:
    """Rounds of every (title, label, fn) candidate, each round starting one candidate later (so
    none always runs right after the same neighbour); each round times a block of `calls`
    calls per candidate: {(title, label): the block medians, one per round}."""
    samples: dict[tuple[str, str], list[float]] = {(t, lbl): [] for t, lbl, _ in flat}
    for r in range(rounds):
        k = r % len(flat)
        for title, label, fn in [*flat[k:], *flat[:k]]:
            samples[(title, label)].append(statistics.median(block(fn, calls)))
    return samples


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
