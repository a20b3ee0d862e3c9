"""No read outside the image: every convention, view kind (flips, negative strides, transposes,
steps, channel subsets), box and ISA on images flush against unreadable pages (issue 11: the
'opencv' 2x2 mean read one column before a flipped view). Each convention runs in a subprocess so a
fault is a test failure that names the last case, not a crash of the test run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("convention", ["default", "pillow", "torch", "opencv"])
def test_no_read_outside_the_image(convention: str, dtype: str) -> None:
    if dtype == "float32" and convention != "default":
        pytest.skip("named conventions take uint8 only")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run(
        [sys.executable, str(HERE / "_guard_worker.py"), convention, dtype],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and lines and lines[-1].startswith("ok "), (
        f"rc {proc.returncode}; last case: {lines[-1] if lines else None}\n{proc.stderr[-3000:]}"
    )
