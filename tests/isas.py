"""Running one computation on every ISA this CPU supports and with 1 and 2 threads, for the tests
that compare the results bit for bit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pixnorm
from pixnorm import _core

T = TypeVar("T")


def on_every_isa_and_thread_count(
    run: Callable[[], T], threads: tuple[int, ...] = (1, 2)
) -> dict[tuple[str, int], T]:
    """run() on every supported ISA with each thread count (the parallel threshold lowered so
    that small inputs split too): {(isa, threads): its result}. Restores the ISA and threads."""
    before = _core._get_isa()
    results: dict[tuple[str, int], T] = {}
    try:
        for isa in _core._supported_isas():
            _core._set_isa(isa)
            for n in threads:
                pixnorm.set_num_threads(n)
                _core._set_parallel_min_elements(0)
                results[isa, n] = run()
    finally:
        _core._set_isa(before)
        _core._set_parallel_min_elements(-1)
        pixnorm.set_num_threads(None)
    return results


def all_equal(results: dict[tuple[str, int], T]) -> None:
    """Every result equals the first one (the assertion names the ISA and thread count)."""
    first = next(iter(results.values()))
    for key, value in results.items():
        assert value == first, key
