"""Import-time configuration: the ISA override and the thread-count defaults."""

from __future__ import annotations

import math
import multiprocessing
import os

from . import _core

ISA_ENV = "PIXNORM_ISA"
THREADS_ENV = "PIXNORM_NUM_THREADS"


def _parse_threads(name: str, value: str, *, strict: bool) -> int:
    """A positive int from an environment variable; 0 if unset or (non-strict) unusable.

    ``OMP_NUM_THREADS`` may hold a nested list such as ``"4,2"``: its first entry counts. Values
    above ``_core.MAX_THREADS`` count as that maximum.
    """
    text = value.strip().split(",")[0].strip()
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n >= 1:
        return min(n, _core.MAX_THREADS)  # a larger team only costs threads (and may fail)
    if strict and value.strip():
        raise ValueError(f"{name}={value!r} is not a positive integer")
    return 0


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        n = min(n, max(1, math.ceil(quota)))
    return max(1, n)


def _cgroup_quota() -> float | None:
    try:  # cgroup v2
        with open("/sys/fs/cgroup/cpu.max") as f:
            q, p = f.read().split()[:2]
        return None if q == "max" else int(q) / int(p)
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            q1 = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            p1 = int(f.read())
        return None if q1 <= 0 or p1 <= 0 else q1 / p1
    except (OSError, ValueError):
        return None


def configure() -> None:
    isa = os.environ.get(ISA_ENV, "").strip()
    if isa:
        try:
            _core._set_isa(isa)
        except ValueError as e:
            raise ValueError(f"{ISA_ENV}={isa!r}: {e}") from None
    env = _parse_threads(THREADS_ENV, os.environ.get(THREADS_ENV, ""), strict=True)
    if not env:
        env = _parse_threads("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", ""), strict=False)
    _core._configure_threads(env, available_cpus(), in_worker())


def replaying_main() -> bool:
    """True while a spawn or forkserver child re-imports the parent's ``__main__`` module (and
    what unpickling its target imports): multiprocessing marks that phase ``_inheriting``."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def in_worker() -> bool:
    """True inside a multiprocessing child (fork, spawn or forkserver).

    A spawn or forkserver child imports modules (its ``__main__``, and whatever unpickling the
    target pulls in) before ``parent_process()`` is set; during that time multiprocessing marks
    the current process as ``_inheriting``.
    """
    if multiprocessing.parent_process() is not None:
        return True
    return replaying_main()
