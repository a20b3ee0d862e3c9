"""Ctrl-C during ``pixnorm stats``: exit status 130 at once, one line on stderr, no traceback,
and no process left behind (issue 11, item 9). Runs the command in a subprocess of its own
process group and sends SIGINT to the group (what a terminal's Ctrl-C does) or to the main
process only (``kill -INT``). Reads /proc for the processes and their open files (Linux)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)"),
]

# A generous bound, not a speed claim: workers stop after their current image (~10 ms here)
# and the whole run would take 15 s or more; the bound only leaves room for a loaded machine.
EXIT_WITHIN = 10.0
# How long a test waits for the run to start reading images (Python start-up and imports).
START_WITHIN = 60.0
IMAGES = 5000


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """IMAGES names of one 1000x1000 RGB noise PNG (hard links: one file on disk). Decoding
    it took 5 to 13 ms here, so a pass over the folder takes well over EXIT_WITHIN."""
    root = tmp_path_factory.mktemp("many")
    rng = np.random.default_rng(0)
    first = root / "00000.png"
    Image.fromarray(rng.integers(0, 256, (1000, 1000, 3), dtype=np.uint8)).save(
        first, compress_level=1
    )
    for i in range(1, IMAGES):
        os.link(first, root / f"{i:05d}.png")
    return root


def _table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        out[int(entry)] = (int(fields[1]), fields[19])  # ppid, starttime
    return out


def _descendants(pid: int) -> dict[int, str]:
    """pid -> start time of every process below `pid`."""
    table = _table()
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, start) in table.items():
            if ppid == parent and child not in found:
                found[child] = start
                todo.append(child)
    return found


def _reads_from(pid: int, folder: Path) -> bool:
    """Whether process `pid` has a file of `folder` open."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(folder)):
                return True
        except OSError:
            continue
    return False


@pytest.mark.parametrize(
    ("workers", "target", "grace"),
    [(2, "group", None), (2, "main", None), (1, "group", None), (2, "group", 0.0)],
    ids=["2workers-ctrl-c", "2workers-kill-int", "1worker-ctrl-c", "2workers-no-grace"],
)
def test_sigint_exits_130_at_once_and_leaves_no_process(
    many: Path, workers: int, target: str, grace: float | None
) -> None:
    # grace 0: workers get no time to stop on their own, so they are terminated (the fallback
    # for a worker stuck in one huge image)
    setup = "" if grace is None else f"cli.STOP_GRACE = {grace}; "
    code = (
        f"import sys; from pixnorm import cli; {setup}"
        "from pixnorm.__main__ import main; sys.exit(main(sys.argv[1:]))"
    )
    args = ["stats", str(many), "--workers", str(workers), "--per-pixel", "--progress", "off"]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job has
    )
    try:
        deadline = time.monotonic() + START_WITHIN
        while True:  # until the workers (or the one process) read images
            readers = list(_descendants(proc.pid)) if workers > 1 else [proc.pid]
            if any(_reads_from(p, many) for p in readers):
                break
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run did not start reading images"
            time.sleep(0.02)
        children = _descendants(proc.pid)
        assert workers == 1 or len(children) >= workers
        if target == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=EXIT_WITHIN)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.splitlines() == ["pixnorm stats: interrupted"] and out == ""
    # the workers and the resource tracker end with the run (the tracker when its pipe closes)
    deadline = time.monotonic() + EXIT_WITHIN
    while True:
        table = _table()
        left = [p for p, start in children.items() if p in table and table[p][1] == start]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left == [], f"processes left behind: {left}"
