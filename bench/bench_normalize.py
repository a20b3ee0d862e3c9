"""Benchmark pixnorm.normalize against the peers a user would pick instead.

Workload: a random uint8 H x W x 3 image (fixed seed) to the ImageNet-normalized float32
3 x H x W tensor, ``(x / 255 - mean) / std``, at 224x224 and 1920x1080, with 1 and 2 threads.

Candidates: pixnorm with a preallocated ``out=`` and with a fresh output; the obvious numpy
expression; a fused, preallocated numpy multiply-add; OpenCV's ``dnn.blobFromImageWithParams``
(fresh, and into a preallocated blob); torchvision v2 when importable; and the speed of light,
a copy of the output bytes (``np.copyto`` between preallocated arrays, the bound for ``out=``,
and ``ndarray.copy()``, the bound for a fresh output). Every peer's output is compared with
pixnorm's (max abs difference <= 1e-4) before it is timed; one that differs is reported and
skipped.

Method
------
- Each call is timed alone with ``time.perf_counter_ns``; a row reports the median over many
  repetitions (and the 90th percentile, to show the spread), so the long tail of a noisy,
  shared machine does not move it.
- The candidates take turns: every round runs each of them for a short block (one untimed call,
  then a few timed ones), in an order rotated from round to round, so a slow phase of the
  machine hits all of them alike, while each block sees the steady state of repeated calls.
- Candidates that share a thread pool and a thread count run their blocks together. After a
  group that ran on 2 threads the script sleeps briefly: idle pool threads spin before they
  sleep (pixnorm's for 50 us, libgomp's, in torch and OpenCV builds that use it, for about
  6 ms here), and on a 2-core machine one library's spinning pool would slow the next
  library's threads; interleaving them call by call would measure that.
- numpy is single threaded: its rows and the copies are measured once, with 1 thread.
- Read the ratios (to pixnorm with ``out=`` at the same thread count), not the absolute times:
  both sides of a ratio come from the same rounds. A second thread only helps if the machine
  has a core to spare (bench/bench_threads.py measures what a busy core does). The load
  average is printed before and after the run; a p90 far above the median shows noisy phases.
- A benchmark is not a test: the targets are printed beside the measured values, never asserted.

Usage::

    python bench/bench_normalize.py              # full run (under a minute on 2 idle cores)
    python bench/bench_normalize.py --quick      # smoke run, a few seconds
    python bench/bench_normalize.py --threshold  # 1 vs 2 threads for 32x32 .. 512x512
    python bench/bench_normalize.py --json out.json
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from _timing import cpu_model

import pixnorm

try:
    import cv2
except ImportError:  # depends on the environment
    cv2 = None

try:
    import torch
except ImportError:  # depends on the environment
    torch = None

try:
    import torchvision
    from torchvision.transforms.v2 import functional as tvf
except (ImportError, RuntimeError):  # depends on the environment
    torchvision = tvf = None

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SCALE = 1 / 255
SEED = 0
SIZES = ((224, 224), (1080, 1920))  # (H, W)
THREADS = (1, 2)
ATOL = 1e-4  # float32 rounding of values up to ~2.6 in magnitude is ~3e-7

# Per image height: timed rounds for the full run and for --quick, timed calls per block.
PLAN = {224: (200, 6, 5), 1080: (30, 2, 3)}
WARMUP_ROUNDS = 1
QUIESCE_S = 0.025  # sleep after a multi-threaded group, so its spinning pool threads go idle

# --threshold: square sides; rounds of THRESHOLD_BLOCK timed calls per thread count.
THRESHOLD_SIDES = (32, 48, 64, 96, 128, 160, 192, 224, 256, 320, 384, 512)
THRESHOLD_ROUNDS = (400, 30)  # full, --quick
THRESHOLD_BLOCK = 5
DEFAULT_PARALLEL_MIN = 1 << 17  # the threshold of builds too old to report it

# The targets.
TARGET_COPYTO = 1.5  # pixnorm out= / np.copyto, 224x224, 1 thread: at most
TARGET_COPY = 1.5  # pixnorm fresh / .copy(), 224x224, 1 thread: at most
TARGET_PEER = 4.0  # fastest peer / pixnorm out=, 224x224, 1 thread: at least
TARGET_SCALING = 1.7  # pixnorm out= 1 thread / 2 threads, 1920x1080: at least


@dataclass
class Candidate:
    key: str  # stable identifier, used in the JSON
    label: str  # what the table shows
    threads: int  # thread count it runs with (1 for single-threaded code)
    fn: Callable[[], Any]  # one call; returns the normalized image (unless verify is False)
    pool: str | None = None  # the thread pool it runs on; None: single-threaded code
    peer: bool = False  # a peer a user would pick instead: counts for "fastest peer"
    verify: bool = True  # compare the output with pixnorm's before timing
    samples_ns: list[int] = field(default_factory=list)

    def median_us(self) -> float:
        return statistics.median(self.samples_ns) / 1e3

    def p90_us(self) -> float:
        return float(np.percentile(self.samples_ns, 90)) / 1e3


# --------------------------------------------------------------------------------------------
# Environment


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def parallel_min_elements() -> tuple[int, bool]:
    """pixnorm's serial threshold in output elements, and whether the library reported it."""
    getter = getattr(pixnorm._core, "_parallel_min_elements", None)
    if getter is not None:
        return int(getter()), True
    return DEFAULT_PARALLEL_MIN, False


def set_threads(n: int) -> None:
    pixnorm.set_num_threads(n)
    if cv2 is not None:
        cv2.setNumThreads(n)
    if torch is not None:
        torch.set_num_threads(n)


def environment() -> dict[str, Any]:
    info = pixnorm.build_info()
    env: dict[str, Any] = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "available_cpus": available_cpus(),
        "python": platform.python_version(),
        "pixnorm": info.get("version"),
        "pixnorm_compiler": info.get("compiler"),
        "isa": info.get("isa"),
        "threads": info.get("threads") or "none",
        "parallel_min_elements": parallel_min_elements()[0],
        "numpy": np.__version__,
        "cv2": cv2.__version__ if cv2 is not None else None,
        "torch": torch.__version__ if torch is not None else None,
        "torchvision": torchvision.__version__ if torchvision is not None else None,
        "pillow": pillow_version(),
    }
    if cv2 is not None:
        for line in cv2.getBuildInformation().splitlines():
            if "Parallel framework" in line:
                env["cv2_parallel"] = line.split(":", 1)[1].strip()
    return env


def pillow_version() -> str | None:
    """The PIL package's distribution and version (the pillow-simd fork installs as PIL too)."""
    from importlib import metadata

    for dist, name in (("pillow-simd", "Pillow-SIMD"), ("pillow", "Pillow")):
        try:
            return f"{name} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return None


def print_header(env: dict[str, Any], title: str = "pixnorm.normalize benchmark") -> None:
    print(f"# {title}")
    print()
    print(
        f"- CPU: {env['cpu']}, {env['logical_cpus']} logical CPUs "
        f"({env['available_cpus']} available to this process); load average {load_average()}"
    )
    print(
        f"- pixnorm {env['pixnorm']} ({env['pixnorm_compiler']}), ISA {env['isa']}, "
        f"threads {env['threads']}, serial below {env['parallel_min_elements']} output elements"
    )
    cv2_text = env["cv2"] or "not installed"
    if env.get("cv2_parallel"):
        cv2_text += f" (parallel framework: {env['cv2_parallel']})"
    torch_text = "not installed"
    if env["torch"]:
        torch_text = f"{env['torch']}, torchvision {env['torchvision'] or 'not installed'}"
    print(
        f"- Python {env['python']}, numpy {env['numpy']}, cv2 {cv2_text}, torch {torch_text}, "
        f"{env['pillow'] or 'Pillow not installed'}"
    )
    print()


def cv2_usable() -> bool:
    return cv2 is not None and hasattr(cv2.dnn, "blobFromImageWithParams")


def print_skipped_peers() -> None:
    if cv2 is None:
        print("note: cv2 is not installed; OpenCV rows skipped")
    elif not cv2_usable():
        print(
            f"note: cv2 {cv2.__version__} has no dnn.blobFromImageWithParams (needed for a "
            "per-channel std); OpenCV rows skipped"
        )
    if tvf is None:
        print("note: torchvision is not installed; torchvision v2 rows skipped")


# --------------------------------------------------------------------------------------------
# Candidates


def make_image(h: int, w: int) -> np.ndarray:
    return np.random.default_rng(SEED).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def make_candidates(img: np.ndarray) -> list[Candidate]:
    """All candidates for one image, in table order."""
    h, w, c = img.shape
    shape = (c, h, w)
    mean32 = np.asarray(MEAN, dtype=np.float32)
    std32 = np.asarray(STD, dtype=np.float32)
    a = (1 / (255 * np.asarray(STD))).astype(np.float32)[:, None, None]
    b = (-np.asarray(MEAN) / np.asarray(STD)).astype(np.float32)[:, None, None]
    cands: list[Candidate] = []

    def pixnorm_out(out: np.ndarray) -> Callable[[], np.ndarray]:
        return lambda: pixnorm.normalize(img, MEAN, STD, scale=SCALE, out=out)

    def pixnorm_fresh() -> np.ndarray:
        return pixnorm.normalize(img, MEAN, STD, scale=SCALE)

    for n in THREADS:
        out = np.empty(shape, dtype=np.float32)
        cands.append(Candidate("pixnorm_out", "pixnorm out=", n, pixnorm_out(out), "pixnorm"))
    for n in THREADS:
        label = "pixnorm fresh output"
        cands.append(Candidate("pixnorm_fresh", label, n, pixnorm_fresh, "pixnorm"))

    def numpy_obvious() -> np.ndarray:
        return ((img.astype(np.float32) / 255 - mean32) / std32).transpose(2, 0, 1).copy()

    fused = np.empty(shape, dtype=np.float32)

    def numpy_fused() -> np.ndarray:
        o = fused
        np.multiply(img.transpose(2, 0, 1), a, out=o)
        o += b
        return o

    cands.append(
        Candidate("numpy_obvious", "numpy obvious expression", 1, numpy_obvious, peer=True)
    )
    cands.append(Candidate("numpy_fused", "numpy x*a+b, preallocated", 1, numpy_fused, peer=True))

    if cv2_usable():
        # OpenCV computes (x - mean) * scalefactor per channel: with mean = 255 m and
        # scalefactor = 1 / (255 s) that is (x / 255 - m) / s. verify() checks it numerically.
        layout = getattr(cv2, "DNN_LAYOUT_NCHW", None)
        if layout is None:
            layout = cv2.dnn.DNN_LAYOUT_NCHW
        params = cv2.dnn.Image2BlobParams(
            scalefactor=tuple(1 / (255 * s) for s in STD),
            size=(w, h),
            mean=tuple(255 * m for m in MEAN),
            swapRB=False,
            ddepth=cv2.CV_32F,
            datalayout=layout,
        )

        def cv2_blob() -> np.ndarray:
            return cv2.dnn.blobFromImageWithParams(img, params)[0]

        def cv2_blob_out(blob: np.ndarray) -> Callable[[], np.ndarray]:
            return lambda: cv2.dnn.blobFromImageWithParams(img, blob, params)[0]

        for n in THREADS:
            label = "cv2 blobFromImageWithParams"
            cands.append(Candidate("cv2_blob", label, n, cv2_blob, "cv2", peer=True))
        for n in THREADS:
            label = "cv2 blobFromImageWithParams, preallocated blob"
            fn = cv2_blob_out(np.empty((1, *shape), dtype=np.float32))
            cands.append(Candidate("cv2_blob_out", label, n, fn, "cv2", peer=True))

    if tvf is not None:

        def torchvision_v2() -> np.ndarray:
            t = tvf.to_image(img)  # H x W x C numpy -> C x H x W uint8 tensor
            t = tvf.to_dtype(t, torch.float32, scale=True)
            return tvf.normalize(t, mean=list(MEAN), std=list(STD)).numpy()

        for n in THREADS:
            label = "torchvision v2 functional"
            cands.append(Candidate("torchvision_v2", label, n, torchvision_v2, "torch", peer=True))

    dst = np.empty(shape, dtype=np.float32)
    src = np.random.default_rng(SEED).random(shape, dtype=np.float32)
    cands.append(
        Candidate("copyto", "speed of light: np.copyto(dst, src)", 1, lambda: np.copyto(dst, src))
    )
    cands.append(Candidate("copy", "speed of light: src.copy()", 1, src.copy))
    for cand in cands[-2:]:
        cand.verify = False
    return cands


def verify(img: np.ndarray, cands: list[Candidate]) -> list[Candidate]:
    """Drops, with a printed note, every candidate whose output differs from pixnorm's."""
    set_threads(1)
    want = pixnorm.normalize(img, MEAN, STD, scale=SCALE)
    ref = ((img.astype(np.float64) / 255 - np.asarray(MEAN)) / np.asarray(STD)).transpose(2, 0, 1)
    err = float(np.abs(want - ref).max())
    if err > ATOL:
        print(f"warning: pixnorm differs from the float64 reference by {err:.3g}")
    kept, bad = [], set()
    for cand in cands:
        if cand.key in bad:
            continue
        if cand.verify:
            got = np.asarray(cand.fn())
            if got.shape != want.shape:
                problem = f"shape {got.shape}, expected {want.shape}"
            else:
                diff = float(np.abs(got - want).max())
                problem = "" if diff <= ATOL else f"max abs diff {diff:.3g} > {ATOL:g}"
            if problem:
                print(f"note: {cand.label} does not match pixnorm ({problem}); skipped")
                bad.add(cand.key)
                continue
        kept.append(cand)
    if bad:
        print()
    return kept


# --------------------------------------------------------------------------------------------
# Timing


def rotated(items: Sequence[Any], k: int) -> list[Any]:
    k %= len(items)
    return [*items[k:], *items[:k]]


def run_rounds(cands: Sequence[Candidate], rounds: int, block: int) -> None:
    """Interleaved rounds of blocks; candidates on the same pool and thread count go together."""
    groups: dict[tuple[int, str | None], list[Candidate]] = {}
    for cand in cands:
        groups.setdefault((cand.threads, cand.pool), []).append(cand)
    order = list(groups.values())
    for r in range(WARMUP_ROUNDS + rounds):
        for group in rotated(order, r):
            set_threads(group[0].threads)
            for cand in rotated(group, r):
                cand.fn()  # untimed: wakes the pool, faults in fresh memory
                for _ in range(block):
                    t0 = time.perf_counter_ns()
                    cand.fn()
                    t1 = time.perf_counter_ns()
                    if r >= WARMUP_ROUNDS:
                        cand.samples_ns.append(t1 - t0)
            if group[0].threads > 1:
                time.sleep(QUIESCE_S)


def find(cands: Sequence[Candidate], key: str, threads: int) -> Candidate | None:
    return next((c for c in cands if c.key == key and c.threads == threads), None)


def ratio(
    cands: Sequence[Candidate], num: str, den: str, threads: tuple[int, int] = (1, 1)
) -> float | None:
    a, b = find(cands, num, threads[0]), find(cands, den, threads[1])
    return a.median_us() / b.median_us() if a and b else None


def print_table(title: str, cands: Sequence[Candidate], rounds: int, block: int) -> None:
    print(f"## {title} ({rounds} interleaved rounds of {block} calls per candidate)")
    print()
    print("| candidate | threads | median us | p90 us | / pixnorm out= |")
    print("|---|---:|---:|---:|---:|")
    for cand in cands:
        base = find(cands, "pixnorm_out", cand.threads)
        rel = f"{cand.median_us() / base.median_us():.2f}" if base else "n/a"
        threads = str(cand.threads) if cand.pool else "1 (single-threaded)"
        print(
            f"| {cand.label} | {threads} | {cand.median_us():.1f} | {cand.p90_us():.1f} | {rel} |"
        )
    print()


def checks(results: dict[str, list[Candidate]]) -> list[dict[str, Any]]:
    small, large = results.get("224x224", []), results.get("1920x1080", [])
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, op: str, target: float) -> None:
        met = None if value is None else (value <= target if op == "<=" else value >= target)
        rows.append({"check": name, "value": value, "target": f"{op} {target}", "met": met})

    add(
        "224x224, 1 thread: pixnorm out= / np.copyto",
        ratio(small, "pixnorm_out", "copyto"),
        "<=",
        TARGET_COPYTO,
    )
    add(
        "224x224, 1 thread: pixnorm fresh / .copy()",
        ratio(small, "pixnorm_fresh", "copy"),
        "<=",
        TARGET_COPY,
    )
    peers = [c for c in small if c.peer and c.threads == 1]
    base = find(small, "pixnorm_out", 1)
    if peers and base:
        best = min(peers, key=Candidate.median_us)
        name = f"224x224, 1 thread: fastest peer ({best.label}) / pixnorm out="
        add(name, best.median_us() / base.median_us(), ">=", TARGET_PEER)
    else:
        add("224x224, 1 thread: fastest peer / pixnorm out=", None, ">=", TARGET_PEER)
    add(
        "1920x1080: pixnorm out= 1 thread / 2 threads",
        ratio(large, "pixnorm_out", "pixnorm_out", (1, 2)),
        ">=",
        TARGET_SCALING,
    )
    return rows


def print_checks(rows: list[dict[str, Any]]) -> None:
    print("## Targets of the issue (measured, not asserted)")
    print()
    print("| check | measured | target | met |")
    print("|---|---:|---:|---|")
    for row in rows:
        value = "n/a" if row["value"] is None else f"{row['value']:.2f}"
        met = {True: "yes", False: "no", None: "n/a"}[row["met"]]
        print(f"| {row['check']} | {value} | {row['target']} | {met} |")
    print()


# --------------------------------------------------------------------------------------------
# Modes


def bench_sizes(quick: bool) -> dict[str, Any]:
    print_skipped_peers()
    print()
    results: dict[str, list[Candidate]] = {}
    report: dict[str, Any] = {}
    for h, w in SIZES:
        name = f"{w}x{h}"
        full, short, block = PLAN[h]
        rounds = short if quick else full
        img = make_image(h, w)
        cands = verify(img, make_candidates(img))
        run_rounds(cands, rounds, block)
        print_table(f"{name}x3 uint8 -> float32 3x{h}x{w}", cands, rounds, block)
        results[name] = cands
        report[name] = {
            "rounds": rounds,
            "block": block,
            "candidates": [
                {
                    "key": c.key,
                    "label": c.label,
                    "threads": c.threads,
                    "pool": c.pool,
                    "median_us": c.median_us(),
                    "p90_us": c.p90_us(),
                    "samples_ns": c.samples_ns,
                }
                for c in cands
            ],
        }
    rows = checks(results)
    print_checks(rows)
    return {"sizes": report, "checks": rows}


def bench_threshold(quick: bool) -> dict[str, Any]:
    """pixnorm out= at 1 and 2 threads for growing square images: where a thread pays off."""
    rounds = THRESHOLD_ROUNDS[1 if quick else 0]
    setter = getattr(pixnorm._core, "_set_parallel_min_elements", None)
    threshold, reported = parallel_min_elements()
    if setter is not None:
        setter(0)  # every size may use the second thread
        print(
            "The serial threshold is lowered to 0 for this run (pixnorm._core."
            f"_set_parallel_min_elements); the library's value is {threshold} output elements."
        )
    else:
        source = "" if reported else " (assumed: this build does not report it)"
        print(
            f"This build runs serially below {threshold} output elements{source}: rows marked "
            "'serial' measure one thread twice. To measure them, lower the threshold "
            "(kDefaultParallelMinElements in cpp/src/threads.cpp) and rebuild."
        )
    print(
        "Calls run back to back, so the second thread is still spinning from the previous call;"
        " with pauses between calls it must be woken first, and the break-even moves up."
    )
    print()
    print(
        f"## pixnorm out=, 1 vs 2 threads ({rounds} interleaved rounds of {THRESHOLD_BLOCK} "
        "calls per thread count)"
    )
    print()
    print("| image | output elements | 1 thread median us | 2 threads median us | 1 / 2 | note |")
    print("|---|---:|---:|---:|---:|---|")
    rows = []
    try:
        for side in THRESHOLD_SIDES:
            img = make_image(side, side)
            out = np.empty((3, side, side), dtype=np.float32)
            samples: dict[int, list[int]] = {n: [] for n in THREADS}
            for r in range(rounds + 1):  # round 0 is a warm-up
                for n in THREADS[r % 2 :] + THREADS[: r % 2]:
                    pixnorm.set_num_threads(n)
                    pixnorm.normalize(img, MEAN, STD, scale=SCALE, out=out)  # untimed
                    for _ in range(THRESHOLD_BLOCK):
                        t0 = time.perf_counter_ns()
                        pixnorm.normalize(img, MEAN, STD, scale=SCALE, out=out)
                        t1 = time.perf_counter_ns()
                        if r:
                            samples[n].append(t1 - t0)
            one, two = (statistics.median(samples[n]) / 1e3 for n in THREADS)
            serial = setter is None and out.size < threshold
            print(
                f"| {side}x{side} | {out.size} | {one:.2f} | {two:.2f} | {one / two:.2f} "
                f"| {'serial' if serial else ''} |"
            )
            rows.append(
                {
                    "side": side,
                    "elements": out.size,
                    "median_us_1": one,
                    "median_us_2": two,
                    "serial": serial,
                    "samples_ns": {str(n): samples[n] for n in THREADS},
                }
            )
    finally:
        if setter is not None:
            setter(-1)  # restore the default
    print()
    return {
        "threshold": {
            "rounds": rounds,
            "block": THRESHOLD_BLOCK,
            "forced_parallel": setter is not None,
            "parallel_min_elements": threshold,
            "rows": rows,
        }
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="far fewer repetitions (smoke run)")
    parser.add_argument(
        "--threshold",
        action="store_true",
        help="measure pixnorm at 1 vs 2 threads for square images from 32x32 to 512x512",
    )
    parser.add_argument("--json", metavar="FILE", help="write the raw numbers to FILE")
    args = parser.parse_args(argv)

    env = environment()
    print_header(env)
    start = time.perf_counter()
    try:
        data = bench_threshold(args.quick) if args.threshold else bench_sizes(args.quick)
    finally:
        pixnorm.set_num_threads(None)  # back to the default
    elapsed = time.perf_counter() - start
    print(f"Took {elapsed:.1f} s; load average now {load_average()}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "argv": sys.argv[1:], "seconds": elapsed, **data}, f)
        print(f"Raw numbers written to {args.json}.")


if __name__ == "__main__":
    main()
