from __future__ import annotations

from collections.abc import Iterator

import pytest

import pixnorm
from pixnorm import _core

SUPPORTED_ISAS = _core._supported_isas()


@pytest.fixture(params=SUPPORTED_ISAS)
def isa(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test once per ISA this CPU supports (scalar, sse41, avx2, avx512 here)."""
    before = _core._get_isa()
    _core._set_isa(request.param)
    try:
        yield request.param
    finally:
        _core._set_isa(before)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request: pytest.FixtureRequest) -> Iterator[int]:
    """1 or 2 threads, with the parallel threshold lowered so even tiny images are split."""
    pixnorm.set_num_threads(request.param)
    _core._set_parallel_min_elements(0)
    try:
        yield request.param
    finally:
        _core._set_parallel_min_elements(-1)
        pixnorm.set_num_threads(None)
