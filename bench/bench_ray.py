"""Dataset statistics on a local Ray cluster with 1 and 2 CPUs, against the local command line.

Workload: 2,000 RGB image files (JPEG, quality 90, 256x256 by default: crops of four
scikit-image photographs at random offsets, flipped at random, with a little noise; fixed seed),
written once to a temporary folder (or ``--folder DIR`` of your own). Every candidate computes
the per-channel statistics of every file (``--per-pixel``: also per pixel), decoding it with
Pillow, and its result is checked equal to the local run's before it is timed (uint8: exact).

Candidates:

- local, 1 process: ``pixnorm stats FOLDER`` (``cli.run_files``: headers, then decode and
  accumulate in this process); local, ``--workers 2`` (spawned processes, started per run).
- ``pixnorm stats FOLDER --ray`` (``pixnorm.ray.stats_files``: a header pass, then blocks of
  files, about 4 per CPU, decoded and accumulated by Ray tasks, merged on the driver), on a cluster
  started with ``ray.init(num_cpus=1)`` and then, separately, ``ray.init(num_cpus=2)``.
- the Python API: ``pixnorm.ray.stats(ray.data.read_images(FOLDER, mode="RGB"))`` (Ray's read
  tasks decode), with ``DataContext.op_resource_reservation_enabled = False`` (what the
  README recommends), and with Ray's default (True) at 2 CPUs.

Method: ``--rounds`` rounds (3), each running the local candidates, then a fresh 1-CPU
cluster, then a fresh 2-CPU cluster (alternating, so that a busy spell of a shared machine
slows both cluster sizes rather than one); in each, per candidate one untimed run (Ray starts
its worker processes; the result is checked), then ``--reps`` (3) timed runs. The table shows
the median wall time of a whole pass over all rounds (dataset creation, execution, merging).
Starting Ray is not timed (printed separately). The load average is printed after each round:
read the ratios. A benchmark is not a test: the target is printed, never asserted.

Usage::

    python bench/bench_ray.py                 # 2,000 files, 3 x 3 timed runs each (4 minutes)
    python bench/bench_ray.py --quick         # 200 files, 1 timed run: a smoke run
    python bench/bench_ray.py --folder DIR    # your images (jpg, png, ...; recursively)
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import contextlib
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import pixnorm
from pixnorm import cli

try:
    import ray
    import ray.data

    import pixnorm.ray as pnray
except ImportError:
    sys.exit("bench_ray.py needs Ray Data: pip install '.[ray]'")

import bench_normalize as bn  # noqa: E402  (environment helpers)

TARGET = 1.6  # pixnorm stats --ray: 2 CPUs / 1 CPU, at least (issue 18)


def make_images(folder: Path, n: int, side: int) -> None:
    """`n` JPEGs of side x side: crops of scikit-image photographs at random offsets, randomly
    flipped, with a little noise (so that no two files are alike)."""
    from PIL import Image
    from skimage import data

    rng = np.random.default_rng(18)
    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    photos = [p for p in photos if p.shape[0] >= side and p.shape[1] >= side] or [
        pixnorm.resize(data.astronaut(), side)
    ]
    for i in range(n):
        photo = photos[i % len(photos)]
        y = int(rng.integers(0, photo.shape[0] - side + 1))
        x = int(rng.integers(0, photo.shape[1] - side + 1))
        crop = photo[y : y + side, x : x + side]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        noisy = np.clip(crop + rng.normal(0, 4, crop.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"{i:05d}.jpg", quality=90)


@contextlib.contextmanager
def session(cpus: int) -> Iterator[float]:
    """A local Ray cluster with `cpus` CPUs; yields the seconds ray.init took."""
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, logging_level=logging.WARNING)
    started = time.perf_counter() - t0
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    try:
        yield started
    finally:
        ray.shutdown()


def timed(fn: Callable[[], pixnorm.RunningStats], reps: int, want: Any) -> list[float]:
    """One untimed run (checked against `want`), then `reps` timed runs: seconds each."""
    got = fn()
    if got.to_dict() != want:
        raise SystemExit(f"{fn.__name__}: a different result than the local run")
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3, help="timed runs per round")
    parser.add_argument("--folder", type=Path, help="your images instead of generated ones")
    parser.add_argument("--per-pixel", action="store_true")
    parser.add_argument("--quick", action="store_true", help="200 files, 1 round of 1 run")
    args = parser.parse_args()
    if args.quick:
        args.images, args.rounds, args.reps = 200, 1, 1
    start = time.perf_counter()
    tmp = None
    if args.folder is None:
        tmp = Path(tempfile.mkdtemp(prefix="pixnorm-bench-ray-"))
        make_images(tmp, args.images, args.side)
        folder = tmp
    else:
        folder = args.folder
    try:
        run(folder, args)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp)
    print(f"\nTook {time.perf_counter() - start:.1f} s; load average now {bn.load_average()}.")


def run(folder: Path, args: argparse.Namespace) -> None:
    found, _, _ = cli.find_images([str(folder)])
    files = [str(p) for p in found]
    pp = args.per_pixel
    local_args = argparse.Namespace(mode="RGB", per_pixel=pp, workers=1, progress="off")

    def local() -> pixnorm.RunningStats:
        cli.check_headers(files, pp, cli.NO_RESAMPLING)
        return cli.run_files(files, local_args, cli.NO_RESAMPLING)[0]

    def local2() -> pixnorm.RunningStats:
        cli.check_headers(files, pp, cli.NO_RESAMPLING)
        args2 = argparse.Namespace(**{**vars(local_args), "workers": 2})
        return cli.run_files(files, args2, cli.NO_RESAMPLING)[0]

    def ray_cli() -> pixnorm.RunningStats:
        return pnray.stats_files(files, "RGB", pp, cli.NO_RESAMPLING, False)[1]

    def ray_api() -> pixnorm.RunningStats:
        return pnray.stats(ray.data.read_images(str(folder), mode="RGB"), per_pixel=pp)

    print(
        f"{len(files)} files in {folder}; {args.rounds} rounds of {args.reps} timed runs per "
        "candidate",
        flush=True,
    )
    want = local().to_dict()
    # Rounds alternate the settings (local, a 1-CPU cluster, a 2-CPU cluster), so that a busy
    # spell of the shared machine slows both cluster sizes rather than one.
    times: dict[tuple[str, int], list[float]] = {}
    inits: dict[int, list[float]] = {1: [], 2: []}

    def add(label: str, cpus: int, fn: Callable[[], pixnorm.RunningStats]) -> None:
        times.setdefault((label, cpus), []).extend(timed(fn, args.reps, want))

    for r in range(args.rounds):
        add("local pixnorm stats, 1 process", 1, local)
        add("local pixnorm stats --workers 2", 2, local2)
        for cpus in (1, 2):
            with session(cpus) as started:
                inits[cpus].append(started)
                ctx = ray.data.DataContext.get_current()
                ctx.op_resource_reservation_enabled = False
                add("pixnorm stats --ray", cpus, ray_cli)
                add("pixnorm.ray.stats(read_images), reservation off", cpus, ray_api)
                if cpus == 2:
                    ctx.op_resource_reservation_enabled = True  # Ray's default
                    add("pixnorm.ray.stats(read_images), Ray's default reservation", 2, ray_api)
        print(f"round {r + 1} of {args.rounds} done; load average {bn.load_average()}", flush=True)
    rows = [(label, cpus, t) for (label, cpus), t in times.items()]

    env = bn.environment()
    print(f"\n- CPU: {env['cpu']}, {env['logical_cpus']} logical CPUs; load average "
          f"{bn.load_average()}")  # fmt: skip
    print(f"- pixnorm {pixnorm.__version__}, ISA {env['isa']}; Ray {ray.__version__}; "
          f"Python {sys.version.split()[0]}; numpy {np.__version__}")  # fmt: skip
    side = f"{args.side}x{args.side} JPEG" if args.folder is None else "files"
    kind = "per channel and per pixel" if pp else "per channel"
    print(f"- {len(files)} {side}, statistics {kind}; ray.init took "
          f"{statistics.median(inits[1]):.1f} s (1 CPU) and {statistics.median(inits[2]):.1f} s "
          "(2 CPUs), not counted\n")  # fmt: skip
    base = statistics.median(rows[0][2])
    one = {label: statistics.median(t) for label, cpus, t in rows if cpus == 1}
    print("| candidate | CPUs | median s | images/s | vs local 1 process | vs 1 CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, cpus, times in rows:
        med = statistics.median(times)
        same = next((v for k, v in one.items() if label.startswith(k.split(",")[0])), None)
        vs_one = f"{same / med:.2f}x" if same is not None and cpus == 2 else ""
        print(
            f"| {label} | {cpus} | {med:.2f} | {len(files) / med:.0f} | {base / med:.2f}x "
            f"| {vs_one} |"
        )
    cli1 = one["pixnorm stats --ray"]
    cli2 = statistics.median(next(t for k, c, t in rows if k == "pixnorm stats --ray" and c == 2))
    print(f"\nTarget (issue 18): pixnorm stats --ray, 2 CPUs / 1 CPU = {cli1 / cli2:.2f}x "
          f"(target >= {TARGET}); all runs, s: "
          + ", ".join(f"{label} {cpus} CPU: " + " ".join(f"{t:.2f}" for t in times)
                      for label, cpus, times in rows))  # fmt: skip


if __name__ == "__main__":
    main()
