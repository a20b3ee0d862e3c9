"""Benchmark pixnorm.RunningStats against the peers a user would pick instead.

Workload: a data set of 1,000 random uint8 224x224x3 images (fixed seed; 150 MB, so each pass
streams it from memory, as a real data set would), on one thread:

- per channel: count, mean, variance (and min/max where the peer gives them) of every channel;
- per pixel: the sums needed for the mean image and the variance image.

Candidates: pixnorm one image per update (what a data loader does) and in batches of 50;
OpenCV (``meanStdDev``; ``accumulate`` + ``accumulateSquare`` into float64); Pillow
``ImageStat``; numpy float64 sums and exact integer sums (uint64 / uint32); torch when
installed; and the speed of light: one read of the bytes, ``np.add.reduce`` of each image
viewed as uint64 (every byte is read once, 8 per wrapping add: nothing that looks at every
pixel can do less). Each peer's mean and variance are compared with pixnorm's before timing.

Method: every round runs each candidate once over its images, in an order rotated from round
to round; a row is the median over rounds of the time per image. What is timed is the
accumulation pass (creating the accumulators, every update, flushing pending images); turning
the sums into means and variances happens once per data set and is timed separately for
pixnorm. Slow peers run on the first
100 images only. Read the ratios, not the absolute times: the machine may be shared and noisy
(the load average is printed). A benchmark is not a test: targets are printed, never asserted.

Usage::

    python bench/bench_stats.py            # full run (about a minute on 2 idle cores)
    python bench/bench_stats.py --quick    # smoke run, a few seconds
    python bench/bench_stats.py --json out.json
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import json
import os
import statistics
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
    from PIL import Image, ImageStat
except ImportError:  # depends on the environment
    Image = ImageStat = None
try:
    import torch
except ImportError:  # depends on the environment
    torch = None

SEED = 0
SHAPE = (224, 224, 3)
IMAGES = (1000, 100)  # full, --quick
ROUNDS = (7, 2)
SLOW_IMAGES = 100  # peers slower than ~100 us/image run on this many images
BATCH = 50
HOT_REPS = 400  # calls on one hot image per round
HOT_BATCH = 8

TARGET_SOL = 2.0  # per channel: pixnorm / one read of the bytes, at most
TARGET_CV2 = 3.0  # cv2 / pixnorm, per channel and per pixel, at least
TARGET_HOT_COPY = 1.5  # one hot image: pixnorm / a copy of its bytes, at most (issue 13)
TARGET_NUMPY = 10.0  # fastest numpy / pixnorm, per channel, at least


@dataclass
class Candidate:
    key: str
    label: str
    run: Callable[[], Any]  # one pass over `images` images; returns a finisher () -> (mean, var)
    images: int
    kind: str  # "channel", "pixel" or "read"
    pixnorm: bool = False
    samples: list[float] = field(default_factory=list)  # us per image, one per round
    ref: np.ndarray | None = None  # the image a "hot" candidate reads (default: the first)

    def median(self) -> float:
        return statistics.median(self.samples)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_line() -> str:
    info = pixnorm.build_info()
    return (
        f"{cpu_model()}, {os.cpu_count()} logical CPUs, 1 thread; pixnorm {info['version']} "
        f"ISA {info['isa']} (threads {info.get('threads') or 'none'}); numpy {np.__version__}"
        f", cv2 {cv2.__version__ if cv2 else 'n/a'}, Pillow "
        f"{Image.__version__ if Image else 'n/a'}, torch {torch.__version__ if torch else 'n/a'}"
    )


def make_candidates(data: np.ndarray) -> list[Candidate]:
    n = len(data)
    slow = min(n, SLOW_IMAGES)
    c = SHAPE[2]
    cands: list[Candidate] = []

    def add(
        key: str,
        label: str,
        kind: str,
        images: int,
        fn: Callable[[], Any],
        px: bool = False,
        ref: np.ndarray | None = None,
    ) -> None:
        cands.append(Candidate(key, label, fn, images, kind, px, ref=ref))

    # ---- the speed of light
    def read() -> None:
        for img in data:
            np.add.reduce(img.reshape(-1).view(np.uint64))

    add("read", "speed of light: one read of the bytes (np.add.reduce as uint64)", "read", n, read)

    # ---- per channel
    def px_single() -> Any:
        s = pixnorm.RunningStats()
        for img in data:
            s.update(img)
        return lambda: (s.mean, s.var())

    def px_batch() -> Any:
        s = pixnorm.RunningStats()
        for i in range(0, n, BATCH):
            s.update(data[i : i + BATCH])
        return lambda: (s.mean, s.var())

    add("px_channel", "pixnorm RunningStats, one image per update", "channel", n, px_single, True)
    add(
        "px_channel_batch",
        f"pixnorm RunningStats, batches of {BATCH}",
        "channel",
        n,
        px_batch,
        True,
    )

    if cv2 is not None:

        def cv2_msd() -> Any:
            m = np.zeros(c)
            q = np.zeros(c)
            for img in data:
                mean, std = cv2.meanStdDev(img)
                m += mean[:, 0]
                q += std[:, 0] ** 2 + mean[:, 0] ** 2
            return lambda: (m / n, q / n - (m / n) ** 2)

        add("cv2_meanstddev", "cv2.meanStdDev per image (combined)", "channel", n, cv2_msd)

    if ImageStat is not None:

        def pil_stat() -> Any:
            s1 = np.zeros(c)
            s2 = np.zeros(c)
            for img in data[:slow]:
                st = ImageStat.Stat(Image.fromarray(img))
                s1 += st.sum
                s2 += st.sum2
            k = slow * SHAPE[0] * SHAPE[1]
            return lambda: (s1 / k, s2 / k - (s1 / k) ** 2)

        add("pil_imagestat", "Pillow ImageStat (incl. fromarray)", "channel", slow, pil_stat)

    def np_f64() -> Any:
        s1 = np.zeros(c)
        s2 = np.zeros(c)
        for img in data[:slow]:
            x = img.reshape(-1, c).astype(np.float64)
            s1 += x.sum(axis=0)
            s2 += (x * x).sum(axis=0)
        k = slow * SHAPE[0] * SHAPE[1]
        return lambda: (s1 / k, s2 / k - (s1 / k) ** 2)

    def np_int() -> Any:
        s1 = np.zeros(c, np.uint64)
        s2 = np.zeros(c, np.uint64)
        for img in data[:slow]:
            x = img.reshape(-1, c).astype(np.uint32)
            s1 += x.sum(axis=0, dtype=np.uint64)
            s2 += (x * x).sum(axis=0, dtype=np.uint64)
        k = slow * SHAPE[0] * SHAPE[1]
        return lambda: (s1 / k, s2 / k - (s1 / k) ** 2)

    add("np_f64_channel", "numpy float64 sums", "channel", slow, np_f64)
    add(
        "np_int_channel",
        "numpy exact integer sums (uint32 squares, uint64 sums)",
        "channel",
        slow,
        np_int,
    )

    if torch is not None:

        def torch_channel() -> Any:
            s1 = torch.zeros(c, dtype=torch.float64)
            s2 = torch.zeros(c, dtype=torch.float64)
            for img in data[:slow]:
                x = torch.from_numpy(img).reshape(-1, c).double()
                s1 += x.sum(0)
                s2 += (x * x).sum(0)
            k = slow * SHAPE[0] * SHAPE[1]
            return lambda: ((s1 / k).numpy(), (s2 / k).numpy() - (s1 / k).numpy() ** 2)

        add("torch_channel", "torch float64 sums", "channel", slow, torch_channel)

    # ---- one image, hot in the cache (issue 13's setting: the cost of a call, side by side
    # with a copy of the bytes and cv2.meanStdDev of the same image)
    hot = data[0]
    hot_batch = np.ascontiguousarray(np.broadcast_to(hot, (HOT_BATCH, *SHAPE)))
    reps = HOT_REPS
    dst = np.empty_like(hot)

    def hot_copy() -> None:
        for _ in range(reps):
            np.copyto(dst, hot)

    def px_hot() -> Any:
        s = pixnorm.RunningStats()
        for _ in range(reps):
            s.update(hot)
        return lambda: (s.mean, s.var())

    def px_hot_batch() -> Any:
        s = pixnorm.RunningStats()
        for _ in range(reps // HOT_BATCH):
            s.update(hot_batch)
        return lambda: (s.mean, s.var())

    add("hot_copy", "a copy of the bytes (np.copyto)", "hot_read", reps, hot_copy)
    add("px_hot", "pixnorm RunningStats.update", "hot", reps, px_hot, True)
    add(
        "px_hot_batch",
        f"pixnorm RunningStats.update, batches of {HOT_BATCH} (per image)",
        "hot",
        reps,
        px_hot_batch,
        True,
    )
    if cv2 is not None:

        def cv2_hot() -> Any:
            m = np.zeros(c)
            q = np.zeros(c)
            for _ in range(reps):
                mean, std = cv2.meanStdDev(hot)
                m += mean[:, 0]
                q += std[:, 0] ** 2 + mean[:, 0] ** 2
            return lambda: (m / reps, q / reps - (m / reps) ** 2)

        add("cv2_hot", "cv2.meanStdDev", "hot", reps, cv2_hot)

    # The same image without 0 and 255 in any channel (values clipped to 1..254): the
    # avx512icl kernel stops tracking min/max once every channel has seen both, which random
    # images (and most photographs) do in their first rows; this one never does.
    mid = np.clip(hot, 1, 254)

    def px_hot_mid() -> Any:
        s = pixnorm.RunningStats()
        for _ in range(reps):
            s.update(mid)
        return lambda: (s.mean, s.var())

    add(
        "px_hot_mid",
        "pixnorm RunningStats.update, an image without 0 or 255 (min/max to the end)",
        "hot",
        reps,
        px_hot_mid,
        True,
        mid,
    )
    if cv2 is not None:

        def cv2_hot_mid() -> Any:
            m = np.zeros(c)
            q = np.zeros(c)
            for _ in range(reps):
                mean, std = cv2.meanStdDev(mid)
                m += mean[:, 0]
                q += std[:, 0] ** 2 + mean[:, 0] ** 2
            return lambda: (m / reps, q / reps - (m / reps) ** 2)

        add(
            "cv2_hot_mid",
            "cv2.meanStdDev, the image without 0 or 255",
            "hot",
            reps,
            cv2_hot_mid,
            ref=mid,
        )

    # ---- per pixel
    def px_pixel() -> Any:
        s = pixnorm.RunningStats(per_pixel=True)
        for img in data:
            s.update(img)
        s._settle()  # accumulate the images still pending (part of the pass)
        return lambda: (s.mean_image, s.var_image())

    def px_pixel_batch() -> Any:
        s = pixnorm.RunningStats(per_pixel=True)
        for i in range(0, n, BATCH):
            s.update(data[i : i + BATCH])
        s._settle()
        return lambda: (s.mean_image, s.var_image())

    add(
        "px_pixel",
        "pixnorm RunningStats(per_pixel), one image per update",
        "pixel",
        n,
        px_pixel,
        True,
    )
    add(
        "px_pixel_batch",
        f"pixnorm RunningStats(per_pixel), batches of {BATCH}",
        "pixel",
        n,
        px_pixel_batch,
        True,
    )

    if cv2 is not None:

        def cv2_acc() -> Any:
            acc = np.zeros(SHAPE, np.float64)
            acc2 = np.zeros(SHAPE, np.float64)
            for img in data:
                cv2.accumulate(img, acc)
                cv2.accumulateSquare(img, acc2)
            return lambda: (acc / n, acc2 / n - (acc / n) ** 2)

        add("cv2_accumulate", "cv2.accumulate + accumulateSquare (float64)", "pixel", n, cv2_acc)

    def np_u32() -> Any:
        acc = np.zeros(SHAPE, np.uint32)
        acc2 = np.zeros(SHAPE, np.uint32)
        for img in data[:slow]:
            acc += img
            x = img.astype(np.uint32)
            acc2 += x * x
        return lambda: (acc / slow, acc2 / slow - (acc / slow) ** 2)

    def np_f64_pixel() -> Any:
        acc = np.zeros(SHAPE, np.float64)
        acc2 = np.zeros(SHAPE, np.float64)
        for img in data[:slow]:
            x = img.astype(np.float64)
            acc += x
            acc2 += x * x
        return lambda: (acc / slow, acc2 / slow - (acc / slow) ** 2)

    add(
        "np_u32_pixel",
        "numpy uint32 accumulators (overflow after 66,051 images)",
        "pixel",
        slow,
        np_u32,
    )
    add("np_f64_pixel", "numpy float64 accumulators", "pixel", slow, np_f64_pixel)

    if torch is not None:

        def torch_pixel() -> Any:
            acc = torch.zeros(SHAPE, dtype=torch.float64)
            acc2 = torch.zeros(SHAPE, dtype=torch.float64)
            for img in data[:slow]:
                x = torch.from_numpy(img).double()
                acc += x
                acc2 += x * x
            return lambda: ((acc / slow).numpy(), (acc2 / slow - (acc / slow) ** 2).numpy())

        add("torch_pixel", "torch float64 accumulators", "pixel", slow, torch_pixel)
    return cands


def verify(cands: list[Candidate], data: np.ndarray) -> list[Candidate]:
    """Each peer's (mean, var) against numpy float64 on the images it ran on."""
    kept = []
    for cand in cands:
        if cand.kind in ("read", "hot_read"):
            kept.append(cand)
            continue
        if cand.ref is not None:
            x = cand.ref[None].astype(np.float64)
        else:
            x = (data[:1] if cand.kind == "hot" else data[: cand.images]).astype(np.float64)
        axes = (0, 1, 2) if cand.kind in ("channel", "hot") else (0,)
        want_m, want_v = x.mean(axis=axes), x.var(axis=axes)
        mean, var = cand.run()()
        ok = np.allclose(mean, want_m, rtol=1e-6) and np.allclose(var, want_v, rtol=1e-5, atol=1e-6)
        if ok:
            kept.append(cand)
        else:
            print(f"note: {cand.label} does not match numpy; skipped")
    return kept


def run_rounds(cands: Sequence[Candidate], rounds: int) -> None:
    for r in range(rounds + 1):  # round 0 warms up
        k = r % len(cands)
        for cand in [*cands[k:], *cands[:k]]:
            t0 = time.perf_counter_ns()
            cand.run()
            t1 = time.perf_counter_ns()
            if r:
                cand.samples.append((t1 - t0) / 1e3 / cand.images)


def table(cands: Sequence[Candidate], kind: str, base_key: str) -> list[str]:
    base = next(c for c in cands if c.key == base_key).median()
    rows = ["| candidate | images timed | us / image | / pixnorm |", "|---|---:|---:|---:|"]
    read = "hot_read" if kind == "hot" else "read"
    for cand in cands:
        if cand.kind in (kind, read):
            m = cand.median()
            rows.append(f"| {cand.label} | {cand.images} | {m:.1f} | {m / base:.2f} |")
    return rows


def checks(cands: Sequence[Candidate]) -> list[tuple[str, float | None, str]]:
    med = {c.key: c.median() for c in cands}
    out: list[tuple[str, float | None, str]] = []
    ch = med["px_channel"]
    out.append(
        ("per channel: pixnorm / one read of the bytes", ch / med["read"], f"<= {TARGET_SOL}")
    )
    if "cv2_meanstddev" in med:
        out.append(
            (
                "per channel: cv2.meanStdDev / pixnorm",
                med["cv2_meanstddev"] / ch,
                f">= {TARGET_CV2}",
            )
        )
    out.append(
        (
            "one hot image: pixnorm / a copy of the bytes (one image per update)",
            med["px_hot"] / med["hot_copy"],
            f"<= {TARGET_HOT_COPY}",
        )
    )
    out.append(
        (
            "one hot image: pixnorm / a copy of the bytes (batches)",
            med["px_hot_batch"] / med["hot_copy"],
            f"<= {TARGET_HOT_COPY}",
        )
    )
    if "cv2_hot" in med:
        for key, how in (("px_hot", "one image per update"), ("px_hot_batch", "batches")):
            out.append(
                (
                    f"one hot image: cv2.meanStdDev / pixnorm ({how})",
                    med["cv2_hot"] / med[key],
                    f">= {TARGET_CV2}",
                )
            )
    if "cv2_hot_mid" in med:
        out.append(
            (
                "one hot image without 0 or 255: cv2.meanStdDev / pixnorm (one image per update)",
                med["cv2_hot_mid"] / med["px_hot_mid"],
                f">= {TARGET_CV2}",
            )
        )
        out.append(
            (
                "one hot image without 0 or 255: pixnorm / a copy of the bytes",
                med["px_hot_mid"] / med["hot_copy"],
                f"<= {TARGET_HOT_COPY}",
            )
        )
    best_np = min(med["np_f64_channel"], med["np_int_channel"])
    out.append(("per channel: fastest numpy / pixnorm", best_np / ch, f">= {TARGET_NUMPY}"))
    if "cv2_accumulate" in med:
        out.append(
            (
                "per pixel: cv2 accumulate / pixnorm (one image per update)",
                med["cv2_accumulate"] / med["px_pixel"],
                f">= {TARGET_CV2}",
            )
        )
        out.append(
            (
                "per pixel: cv2 accumulate / pixnorm (batches)",
                med["cv2_accumulate"] / med["px_pixel_batch"],
                f">= {TARGET_CV2}",
            )
        )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="100 images, 2 rounds (smoke run)")
    parser.add_argument("--json", metavar="FILE", help="write the raw numbers to FILE")
    args = parser.parse_args(argv)
    n, rounds = IMAGES[args.quick], ROUNDS[args.quick]

    pixnorm.set_num_threads(1)
    if cv2 is not None:
        cv2.setNumThreads(1)
    if torch is not None:
        torch.set_num_threads(1)
    print("# pixnorm.RunningStats benchmark")
    print()
    print(f"- {machine_line()}")
    print(f"- load average before: {load_average()}")
    rng = np.random.default_rng(SEED)
    data = rng.integers(0, 256, (n, *SHAPE), dtype=np.uint8)
    start = time.perf_counter()
    cands = verify(make_candidates(data), data)
    run_rounds(cands, rounds)
    print(
        f"- {n} images of {SHAPE[0]}x{SHAPE[1]}x{SHAPE[2]} uint8, {rounds} rounds; "
        f"load average after: {load_average()}"
    )
    print()
    print("## Per channel (mean, variance)")
    print()
    print("\n".join(table(cands, "channel", "px_channel")))
    print()
    print(f"## Per channel, one image hot in the cache ({HOT_REPS} calls a round)")
    print()
    print("\n".join(table(cands, "hot", "px_hot")))
    print()
    print("## Per pixel (mean image, variance image)")
    print()
    print("\n".join(table(cands, "pixel", "px_pixel")))
    print()
    for key in ("px_channel", "px_pixel"):
        cand = next(c for c in cands if c.key == key)
        finish = cand.run()
        times = []
        for _ in range(5):
            t0 = time.perf_counter_ns()
            finish()
            times.append((time.perf_counter_ns() - t0) / 1e6)
        print(
            f"- {cand.label}: results from the sums, once per data set: "
            f"{statistics.median(times):.2f} ms"
        )
    print()
    print("## Targets of the issue (measured, not asserted)")
    print()
    print("| check | measured | target |")
    print("|---|---:|---:|")
    rows = checks(cands)
    for name, value, target in rows:
        print(f"| {name} | {'n/a' if value is None else f'{value:.2f}'} | {target} |")
    print()
    print(f"Took {time.perf_counter() - start:.1f} s.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": machine_line(),
                    "images": n,
                    "rounds": rounds,
                    "candidates": [
                        {"key": c.key, "label": c.label, "images": c.images, "us": c.samples}
                        for c in cands
                    ],
                    "checks": [{"check": a, "value": b, "target": t} for a, b, t in rows],
                },
                f,
            )


if __name__ == "__main__":
    main()
