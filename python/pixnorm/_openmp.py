"""Loads pixnorm's native core with GNU libgomp waiting passively.

libgomp reads ``OMP_WAIT_POLICY`` once, when it is loaded, and by default its idle threads spin
before they sleep. On a machine whose other cores are busy (a second process, a DataLoader's
workers), a call at 2 threads then waited for a spinning or descheduled team: a 500x375 ->
224 preprocess took 8 ms instead of 0.12 (measured here with one other process busy). Waiting
passively removes that and keeps the 2-thread speed-up of large images. So, unless the user set
``OMP_WAIT_POLICY``, pixnorm sets it to ``passive`` just while its core loads the runtime and
restores the environment afterwards (other OpenMP runtimes loaded later, such as torch's own
copy, see the user's environment). When the system libgomp was already loaded by another
library, its policy stays as that library's environment made it.
"""

from __future__ import annotations

import os

POLICY_ENV = "OMP_WAIT_POLICY"


def _system_libgomp_loaded() -> bool:
    try:
        with open("/proc/self/maps") as maps:
            return any(line.rstrip().endswith("/libgomp.so.1") for line in maps)
    except OSError:  # not Linux: no /proc
        return False


def load_core() -> str:
    """Imports pixnorm._core; returns a description of libgomp's wait policy."""
    user = os.environ.get(POLICY_ENV)
    if user is not None:
        policy = f"{user.strip().lower()} ({POLICY_ENV})"
    elif _system_libgomp_loaded():
        policy = "the runtime's own (libgomp was loaded before pixnorm)"
    else:
        os.environ[POLICY_ENV] = "passive"
        try:
            from . import _core  # noqa: F401  (loads libgomp, which reads the policy now)
        finally:
            del os.environ[POLICY_ENV]
        return "passive (set by pixnorm while loading libgomp)"
    from . import _core  # noqa: F401

    return policy
