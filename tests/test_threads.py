"""Thread-count policy, the thread pool, fork safety (no hang after fork), multiprocessing, and
the GIL."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import pixnorm
from gil import assert_releases_gil
from pixnorm import _config

TESTS = Path(__file__).resolve().parent
THREADS = pixnorm.build_info()["threads"] is not None
needs_threads = pytest.mark.skipif(
    not THREADS, reason="built with -DPIXNORM_THREADS=OFF: no thread pool"
)


def threads_used(n: int) -> int:
    """What get_num_threads() reports for a request of n: without the pool everything is
    serial."""
    return n if THREADS else 1


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Runs code in a fresh interpreter, with a timeout so that a hang fails instead of blocking."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PIXNORM_NUM_THREADS", "OMP_NUM_THREADS", "PIXNORM_ISA")
    }
    full_env["PYTHONPATH"] = str(TESTS) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_set_num_threads_validation() -> None:
    for bad in (0, -1, 1025):
        with pytest.raises(ValueError, match="n: expected 1 <= n <= 1024"):
            pixnorm.set_num_threads(bad)
    for bad_type in (2.5, "2", True):
        with pytest.raises(TypeError, match="n: expected an int"):
            pixnorm.set_num_threads(bad_type)  # type: ignore[arg-type]
    try:
        pixnorm.set_num_threads(np.int64(3))  # type: ignore[arg-type]
        assert pixnorm.get_num_threads() == threads_used(3)
    finally:
        pixnorm.set_num_threads(None)


def test_defaults_from_environment_and_affinity() -> None:
    code = """
        import os
        os.sched_setaffinity(0, {0})
        import pixnorm
        print(pixnorm.get_num_threads())
        pixnorm.set_num_threads(2); print(pixnorm.get_num_threads())
        pixnorm.set_num_threads(None); print(pixnorm.get_num_threads())
    """
    assert run_python(code).split() == ["1", str(threads_used(2)), "1"]
    assert run_python("import pixnorm; print(pixnorm.get_num_threads())").strip() == str(
        threads_used(_config.available_cpus())
    )
    env_cases = [
        ({"PIXNORM_NUM_THREADS": "3"}, 3),
        ({"OMP_NUM_THREADS": "2,1"}, 2),
        ({"PIXNORM_NUM_THREADS": "1", "OMP_NUM_THREADS": "4"}, 1),
        ({"OMP_NUM_THREADS": "junk"}, _config.available_cpus()),
    ]
    code = "import pixnorm; print(pixnorm._core._requested_threads(), pixnorm.get_num_threads())"
    for env, want in env_cases:
        assert run_python(code, env).split() == [str(want), str(threads_used(want))]


def test_bad_thread_environment_fails_loudly() -> None:
    code = """
        try:
            import pixnorm
        except ValueError as e:
            print(e)
    """
    assert "PIXNORM_NUM_THREADS='many' is not a positive integer" in run_python(
        code, {"PIXNORM_NUM_THREADS": "many"}
    )


@needs_threads
@pytest.mark.parametrize("env", ["PIXNORM_NUM_THREADS", "OMP_NUM_THREADS"])
def test_huge_thread_counts_are_bounded(env: str) -> None:
    """PIXNORM_NUM_THREADS=99999 used to make one thread per output row (1,081 for a 1080-row
    image; the OpenMP runtime of the time ended the process when a thread could not be
    created): the environment is capped at MAX_THREADS, and a team never outgrows its work
    (issue 11.3)."""
    code = """
        import os
        import numpy as np
        import pixnorm
        from pixnorm import _core
        img = np.zeros((1080, 1920, 3), np.uint8)
        out = pixnorm.preprocess(img, size=(1080, 1920), mean=0.5, std=0.25)
        assert (out == -2).all()
        print(pixnorm.get_num_threads(), len(os.listdir("/proc/self/task")))
    """
    for value in ("99999", str(10**30)):
        requested, tasks = (int(v) for v in run_python(code, {env: value}).split())
        assert requested == pixnorm._core.MAX_THREADS == 1024
        # Not a thread per output row (1,081 before) and within the cap: the team is sized by the
        # work (test_team_for_bounds), plus the main thread and a few of Python's own.
        assert tasks <= 1080 // 2
        assert tasks <= pixnorm._core._team_for(1080 * 1920 * 3, requested) + 4


def test_team_for_bounds() -> None:
    core = pixnorm._core
    lo = core._parallel_min_elements()
    assert core._team_for(lo - 1, 8) == 1  # below the threshold: serial
    assert core._team_for(lo, 8) == 2  # at it: two threads, as before the bound
    assert core._team_for(10 * lo, 2) == 2
    assert core._team_for(10 * lo, 1) == 1
    cpus = _config.available_cpus()
    assert core._team_for(10**15, 10**6) == min(core.MAX_THREADS, 4 * cpus)  # 4 per CPU at most


FORK_SCRIPT = """
    import os, sys, threading, warnings
    import numpy as np
    import pixnorm
    from pixnorm import _core

    warnings.simplefilter("error")  # nothing to warn about after fork any more
    pixnorm.set_num_threads(2)
    _core._set_parallel_min_elements(0)
    _core._set_pool_backoff(False)  # threaded calls use the pool even on a busy machine
    img = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    expected = pixnorm.normalize(img, 0.5, 0.25)  # the parent's pool now has a worker
    pre = {c: pixnorm.preprocess(img, size=100, crop=64, convention=c) for c in (None, "torch")}
    stats = pixnorm.RunningStats().update(img).to_dict()
    assert not _core._in_forked_child()

    def tasks():
        return len(os.listdir("/proc/self/task"))

    def in_child(depth):
        assert _core._in_forked_child()
        assert tasks() == 1  # fork copies only the calling thread: the pool is gone
        assert pixnorm.get_num_threads() == 1  # set_num_threads does not cross fork
        assert np.array_equal(pixnorm.normalize(img, 0.5, 0.25), expected)
        pixnorm.set_num_threads(2)  # threads work here: the child builds its own pool
        assert pixnorm.get_num_threads() == 2
        for _ in range(3):
            assert np.array_equal(pixnorm.normalize(img, 0.5, 0.25), expected)
            for conv in (None, "torch"):
                assert np.array_equal(
                    pixnorm.preprocess(img, size=100, crop=64, convention=conv), pre[conv]
                )
            assert pixnorm.RunningStats().update(img).to_dict() == stats
        assert tasks() == 2, tasks()  # the child's own worker
        if depth < 2:
            fork_and_check(depth + 1)
        pixnorm.set_num_threads(None)

    def fork_and_check(depth):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                in_child(depth)
            except BaseException as e:
                print("child", depth, "failed:", repr(e), flush=True)
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, depth

    fork_and_check(1)  # child, then grandchild

    # Fork while another thread of the parent is inside a threaded call: the child must not
    # inherit the pool in that state (its lock held, a call half done).
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            pixnorm.normalize(img, 0.5, 0.25)

    t = threading.Thread(target=busy)
    t.start()
    try:
        for _ in range(20):
            fork_and_check(2)
    finally:
        stop.set()
        t.join()

    # the parent itself keeps its threads
    assert pixnorm.get_num_threads() == 2
    assert np.array_equal(pixnorm.normalize(img, 0.5, 0.25), expected)
    print("ok")
"""


@needs_threads
def test_fork_after_threads_never_hangs() -> None:
    """GNU libgomp hangs in a forked child whose parent ran a parallel region (GCC bug 60035).
    pixnorm's own pool forgets the parent's workers in a forked child and starts new ones when
    a call needs them, so threads work after fork, in children and grandchildren, also when
    the fork happens while another thread is inside a threaded call."""
    assert run_python(FORK_SCRIPT, timeout=120).strip() == "ok"


@needs_threads
def test_one_cpu_and_two_threads() -> None:
    """Two threads confined to one CPU: the worker always finds itself on the caller's CPU,
    runs nothing and lets the caller do the work (and the pool backs off). Results are the
    same, and nothing waits for a thread that cannot run."""
    code = """
        import os
        os.sched_setaffinity(0, {0})
        import numpy as np, pixnorm
        from pixnorm import _core
        img = np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8)
        want = pixnorm.preprocess(img, size=128, crop=112)
        pixnorm.set_num_threads(2)
        _core._set_parallel_min_elements(0)
        for backoff in (False, True):  # without it every call wakes the worker, which refuses
            _core._set_pool_backoff(backoff)
            for _ in range(100):
                assert np.array_equal(pixnorm.preprocess(img, size=128, crop=112), want)
        print("ok")
    """
    assert run_python(code, timeout=120).strip() == "ok"


@needs_threads
def test_busy_core_results_unchanged() -> None:
    """With another process spinning on a core, threaded calls give the same bits (whichever
    thread runs which chunk) and finish. How fast is bench/bench_threads.py's question."""
    code = """
        import subprocess, sys
        import numpy as np, pixnorm
        from pixnorm import _core
        spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            rng = np.random.default_rng(2)
            imgs = [rng.integers(0, 256, (200 + 7 * i, 300, 3), dtype=np.uint8) for i in range(6)]
            want = [pixnorm.preprocess(x, size=96, crop=80, convention="torch") for x in imgs]
            stats = pixnorm.RunningStats().update(imgs[0]).to_dict()
            pixnorm.set_num_threads(2)
            _core._set_parallel_min_elements(0)
            for i in range(100):
                _core._set_pool_backoff(i % 2 == 0)  # with it, most calls run on one thread
                for x, w in zip(imgs, want):
                    got = pixnorm.preprocess(x, size=96, crop=80, convention="torch")
                    assert np.array_equal(got, w)
                assert pixnorm.RunningStats().update(imgs[0]).to_dict() == stats
        finally:
            spin.kill()
        print("ok")
    """
    assert run_python(code, timeout=300).strip() == "ok"


@needs_threads
def test_loaded_machine_backs_off() -> None:
    """More runnable threads than cores (two spinning processes on the two CPUs the test is
    confined to): a worker preempted inside its chunk holds the caller for a time slice. The
    pool must notice that time lost to other threads (wall time well above the thread's CPU
    time) and run the following calls on one thread; before that signal existed, none of the
    pool's busy-machine signals fired here and calls of 12-100 us averaged 2-34x their 1-thread
    time (bench/bench_threads.py, "loaded"). Counters, not timings, are checked: preemption of a
    millisecond call over a few seconds of calls on an overcommitted CPU is certain."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs 2 CPUs")
    code = """
        import os, subprocess, sys, time
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
        import numpy as np, pixnorm
        from pixnorm import _core
        img = np.random.default_rng(4).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
        want = pixnorm.normalize(img, 0.5, 0.25)
        spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        try:
            time.sleep(0.2)
            pixnorm.set_num_threads(2)
            end = time.monotonic() + 20
            while time.monotonic() < end:
                assert np.array_equal(pixnorm.normalize(img, 0.5, 0.25), want)
                s = _core._pool_stats()
                if s["lost"] > 0 and s["backoff_calls"] > 0:
                    break
        finally:
            for p in spin:
                p.kill()
        s = _core._pool_stats()
        print(s["lost"] > 0, s["backoff_calls"] > 0, s)
    """
    out = run_python(code, timeout=120).strip()
    assert out.startswith("True True"), out


@needs_threads
def test_batch_of_more_items_than_chunks() -> None:
    """A batch is handed out an image at a time, in runs of consecutive images once there are
    more than 65535 (the pool's chunk limit): every image is still done exactly once."""
    rng = np.random.default_rng(3)
    imgs = list(rng.integers(0, 256, (70_000, 4, 5, 3), dtype=np.uint8))
    pixnorm.set_num_threads(2)
    try:
        got = pixnorm.preprocess_batch(imgs, size=(2, 3), antialias=False)
    finally:
        pixnorm.set_num_threads(None)
    serial = [pixnorm.preprocess(x, size=(2, 3), antialias=False) for x in imgs[::7001]]
    np.testing.assert_array_equal(got[::7001], np.stack(serial))
    pixnorm.set_num_threads(1)
    try:
        np.testing.assert_array_equal(
            got, pixnorm.preprocess_batch(imgs, size=(2, 3), antialias=False)
        )
    finally:
        pixnorm.set_num_threads(None)


@needs_threads
def test_fork_before_any_threaded_call() -> None:
    code = """
        import os, numpy as np, pixnorm
        from pixnorm import _core
        pid = os.fork()
        if pid == 0:
            ok = _core._in_forked_child()
            pixnorm.set_num_threads(2)
            ok = ok and pixnorm.get_num_threads() == 2
            _core._set_parallel_min_elements(0)
            x = np.ones((64, 64, 3), np.uint8)
            ok = ok and bool(np.all(pixnorm.normalize(x, 0.0, 1.0, scale=1.0) == 1.0))
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
    """
    assert run_python(code, timeout=60).strip() == "0"


POOL_SCRIPT = """
    import multiprocessing as mp, sys
    import numpy as np
    import pixnorm
    from pixnorm import _core
    import _mp_worker

    if __name__ == "__main__":
        pixnorm.set_num_threads(2)
        _core._set_parallel_min_elements(0)
        expected = [_mp_worker.work(s)[0] for s in range(6)]  # parent used 2 threads
        method = sys.argv[1]
        with mp.get_context(method).Pool(2) as pool:
            results = pool.map(_mp_worker.work, range(6))
        assert [r[0] for r in results] == expected
        assert all(r[1] == 1 for r in results), [r[1] for r in results]  # 1 thread in workers
        assert all(r[2] == (method == "fork") for r in results)
        print("ok", method)
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_pool_after_threads(method: str, tmp_path: Path) -> None:
    assert run_script(tmp_path / "pool_script.py", POOL_SCRIPT, method) == f"ok {method}"


def run_script(path: Path, text: str, method: str) -> str:
    """Runs a multiprocessing script as a main module (spawn and forkserver workers re-import
    it), in a clean thread environment with the tests on the path; its stdout."""
    path.write_text(textwrap.dedent(text))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PIXNORM_NUM_THREADS", "OMP_NUM_THREADS", "PIXNORM_ISA")
    }
    env["PYTHONPATH"] = str(TESTS) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, str(path), method], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip()


REPLAY_SCRIPT = """
    import multiprocessing as mp, sys
    import pixnorm

    pixnorm.set_num_threads(2)  # top level: spawn and forkserver workers run this line again


    def count(_):
        return pixnorm.get_num_threads()


    def raise_count(_):
        pixnorm.set_num_threads(2)  # inside the worker: applies
        return pixnorm.get_num_threads()


    if __name__ == "__main__":
        assert pixnorm.get_num_threads() == (2 if pixnorm.build_info()["threads"] else 1)
        with mp.get_context(sys.argv[1]).Pool(2) as pool:
            before = sorted(set(pool.map(count, range(4))))
            print(before, sorted(set(pool.map(raise_count, range(4)))))
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_main_script_replay_keeps_workers_at_one_thread(method: str, tmp_path: Path) -> None:
    """A set_num_threads at the top of the main script is meant for the parent: a spawn or
    forkserver worker re-importing the script must not take it (torch sets 1 in every worker),
    while a call inside the worker still applies (issue 13)."""
    out = run_script(tmp_path / "replay_script.py", REPLAY_SCRIPT, method)
    assert out == f"[1] [{threads_used(2)}]"


@functools.cache
def _big() -> np.ndarray:
    """Three 1080p images: long enough a call to watch another thread run (made on first use)."""
    return np.random.default_rng(0).integers(0, 256, (3, 1080, 1920, 3), dtype=np.uint8)


@functools.cache
def _mean_std_planes() -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and std as pixnorm.normalize hands them to the core: float64 (C, H, W)."""
    chw = _big()[:2].transpose(0, 3, 1, 2).astype(np.float64)
    return chw[0], chw[1] + 1


LONG_CALLS = {
    "normalize": lambda: pixnorm.normalize(_big(), 0.5, 0.5),
    "resize": lambda: pixnorm.resize(_big(), (700, 900)),
    "preprocess_batch": lambda: pixnorm.preprocess_batch(list(_big()), size=(600, 800)),
    "preprocess torch": lambda: pixnorm.preprocess_batch(
        list(_big()), size=(600, 800), convention="torch"
    ),
    "preprocess opencv": lambda: pixnorm.preprocess_batch(
        list(_big()), size=(600, 800), antialias=False, convention="opencv"
    ),
    "stats": lambda: pixnorm.RunningStats(per_pixel=True).update(_big()),
    # per-pixel mean/std images: the coefficients are computed per call (issue 11.10)
    "pixel_affine": lambda: pixnorm._core.pixel_affine(*_mean_std_planes(), 1 / 255, 3, 1080, 1920),
}


@pytest.mark.parametrize("op", list(LONG_CALLS))
def test_gil_is_released_during_the_work(op: str) -> None:
    assert_releases_gil(LONG_CALLS[op])


def test_calls_from_several_python_threads_agree() -> None:
    from concurrent.futures import ThreadPoolExecutor

    imgs = [
        np.random.default_rng(s).integers(0, 256, (300, 400, 3), dtype=np.uint8) for s in range(8)
    ]
    serial = [pixnorm.normalize(x, 0.4, 0.3) for x in imgs]
    pixnorm.set_num_threads(2)
    try:
        with ThreadPoolExecutor(4) as pool:
            threaded = list(pool.map(lambda x: pixnorm.normalize(x, 0.4, 0.3), imgs))
    finally:
        pixnorm.set_num_threads(None)
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)
