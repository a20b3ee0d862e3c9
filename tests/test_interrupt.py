"""Ctrl-C stops a long call within a piece of work (issue 11.9): the bindings run large inputs in
pieces of about 2**26 values and check for signals between them. Before, a long kernel answered
SIGINT only when it returned (a 4.5e11-value statistics update: minutes).

Each case runs in a fresh interpreter on broadcast views (no memory), so a call that ignored the
signal would run for minutes; the bound below is generous (a piece takes tens of milliseconds)
and only separates "stopped" from "ran to the end"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

PRELUDE = """
    import sys, time
    import numpy as np
    import pixnorm
    px = np.zeros((1, 1, 1, 3), np.uint8)
"""

# Each would take minutes (hundreds of billions of values) if it ran to the end.
CASES = {
    "stats per channel": (
        "pixnorm.RunningStats().update(np.broadcast_to(px, (10**5, 2000, 2000, 3)))"
    ),
    "stats per channel, one image": (
        "pixnorm.RunningStats().update(np.broadcast_to(px[0], (2**31 - 1, 2**13, 3)))"
    ),
    "stats per pixel": (
        "pixnorm.RunningStats(per_pixel=True).update(np.broadcast_to(px, (60000, 1000, 1000, 3)))"
    ),
    "stats per pixel float32": (
        "pixnorm.RunningStats(per_pixel=True).update("
        "np.broadcast_to(px.astype(np.float32), (10**5, 1000, 1000, 3)))"
    ),
    # One image: bands of output rows between the checks (an output row is the smallest piece,
    # so each reads 100 source rows here: quick even in the sanitizer's Debug build).
    "resize, one image": "pixnorm.resize(np.broadcast_to(px[0], (300000, 100000, 3)), (3000, 100))",
    "resize, one image, float32": (
        "pixnorm.resize(np.broadcast_to(px[0].astype(np.float32), (300000, 100000, 3)), "
        "(3000, 100))"
    ),
    "preprocess, one image, torch": (
        "pixnorm.preprocess(np.broadcast_to(px[0], (300000, 100000, 3)), size=(3000, 100), "
        "convention='torch')"
    ),
    "preprocess_batch": (
        "pixnorm.preprocess_batch([np.broadcast_to(px[0], (4000, 4000, 3))] * 20000, size=8)"
    ),
}

BOUND_S = 20.0  # from SIGINT to exit; uninterrupted, each case runs for minutes


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("case", list(CASES))
def test_ctrl_c_stops_a_long_call(case: str) -> None:
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(f"""
        print("start", flush=True)
        try:
            {CASES[case]}
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        print("finished", flush=True)
    """)
    env = {
        k: v for k, v in os.environ.items() if k not in ("PIXNORM_NUM_THREADS", "OMP_NUM_THREADS")
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(1.0)  # inside the call
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=BOUND_S)
        waited = time.monotonic() - sent
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{case}: still running {BOUND_S} s after SIGINT")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and out.strip() == "interrupted", (case, out, err, waited)


def test_an_interrupted_update_leaves_no_silently_partial_statistics() -> None:
    """After Ctrl-C stopped an update part-way, the accumulators may hold part of that batch:
    every later use of the instance raises, and a copy taken before is intact."""
    code = textwrap.dedent(PRELUDE) + textwrap.dedent("""
        long_updates = {
            False: np.broadcast_to(px, (10**5, 2000, 2000, 3)),
            True: np.broadcast_to(px, (60000, 1000, 1000, 3)),
        }
        for per_pixel, big in long_updates.items():
            stats = pixnorm.RunningStats(per_pixel=per_pixel).update(big[0])
            before = stats.copy()
            print("start", flush=True)
            try:
                stats.update(big)
            except KeyboardInterrupt:
                pass
            uses = [lambda: stats.mean, lambda: stats.update(big[0]), lambda: stats.to_dict(),
                    lambda: stats + before, lambda: before.merge(stats), lambda: stats.copy(),
                    lambda: stats.count, lambda: stats.n_images, lambda: stats.dtype]
            for use in uses:
                try:
                    use()
                    print("used", flush=True)
                except RuntimeError as e:
                    assert "stopped part-way" in str(e), e
            assert "interrupted" in repr(stats)
            assert before.count == 2000 * 2000 if not per_pixel else before.n_images == 1
        print("ok", flush=True)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        for _ in range(2):
            assert proc.stdout.readline().strip() == "start"
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and out.strip() == "ok", (out, err)


def test_an_exception_from_a_signal_handler_also_marks_the_statistics() -> None:
    """The kernels stop between pieces for any exception a signal handler raises (here a
    TimeoutError from an alarm), not only KeyboardInterrupt: the statistics hold part of the
    batch then too, and must refuse to be used (review: they reported a uint8 mean of 1.5e8)."""
    code = textwrap.dedent(PRELUDE) + textwrap.dedent("""
        import signal

        def alarm(*_):
            raise TimeoutError

        signal.signal(signal.SIGALRM, alarm)
        pixnorm.set_num_threads(1)
        stats = pixnorm.RunningStats()
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        try:
            stats.update(np.broadcast_to(px + 7, (4000, 1024, 1024, 3)))
            print("finished")
        except TimeoutError:
            try:
                stats.mean
                print("used")
            except RuntimeError as e:
                print("refused" if "stopped part-way" in str(e) else e)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.split() == ["refused"], (
        proc.stdout,
        proc.stderr,
    )
