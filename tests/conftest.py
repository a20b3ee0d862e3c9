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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests skipped for want of torch/torchvision, and how to run them: the
    README's test command installs neither (they are large), so the bit-exactness tests
    against torchvision would otherwise skip unnoticed among the other skips."""
    missing = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if "torch" in str(getattr(r, "longrepr", ""))
    ]
    if missing:
        terminalreporter.write_sep(
            "=",
            f"{len(missing)} tests skipped: torch/torchvision not installed; run them with "
            "pip install '.[test,torch]' && python -m pytest",
            yellow=True,
        )
