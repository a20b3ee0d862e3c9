"""Benchmark output dtypes and layouts inside the pass (issue 14) against the same call in
float32 CHW, and against what users do today: the float32 call followed by torch's
``.to(float16 / bfloat16)`` (or numpy's ``astype`` / ``transpose``).

Cases (one thread; uint8 RGB input, random values, fixed seed; ImageNet mean/std; every output
into a preallocated ``out`` of its own dtype and layout, so no case pays for page faults):
- ``normalize`` of one 224x224 image (its output fits in the L2 cache: the conversion's own
  cost shows) and of a batch of 64 (38 MB of float32: memory-bound, as a DataLoader's batch);
- ``preprocess`` (``size=256, crop=224``) of one 500x375 and one 1920x1080 image, and
  ``preprocess_batch`` of 64 500x375 images: float16, bfloat16, HWC float32 and uint8 output
  (no normalization: the resized uint8 batch).

Method: rounds of every candidate in a rotated order; each round times a block of calls per
candidate; a row is the median over rounds of the median call. Read the ratios: the machine may
be shared (the load average is printed). Each candidate is checked equal to its reference
(bit for bit) before timing. Timings are printed, never asserted.

Usage::

    python bench/bench_dtype.py            # full run (about a minute)
    python bench/bench_dtype.py --quick    # smoke run
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import os
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import cpu_model, rotated_rounds

import pixnorm

try:
    import ml_dtypes
except ImportError:  # depends on the environment
    ml_dtypes = None
try:
    import torch
except ImportError:  # depends on the environment
    torch = None

M = (0.485, 0.456, 0.406)
S = (0.229, 0.224, 0.225)
Candidates = list[tuple[str, Callable[[], Any], Callable[[], Any] | None]]


def half_types() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [("float16", np.float16)]
    if ml_dtypes is not None:
        out.append(("bfloat16", ml_dtypes.bfloat16))
    return out


def normalize_cases(img: np.ndarray, title: str) -> tuple[str, Candidates]:
    chw = (*img.shape[:-3], 3, img.shape[-3], img.shape[-2])
    hwc = img.shape
    o32 = np.empty(chw, np.float32)
    cands: Candidates = [
        ("float32 CHW", lambda: pixnorm.normalize(img, M, S, out=o32), None),
    ]
    for name, kind in half_types():
        o = np.empty(chw, kind)

        def fused(o: np.ndarray = o, name: str = name) -> Any:
            return pixnorm.normalize(img, M, S, out=o, dtype=name)

        def ref(kind: Any = kind) -> Any:
            return pixnorm.normalize(img, M, S).astype(kind)

        cands.append((f"dtype={name}", fused, ref))
        if torch is not None:
            t32 = torch.from_numpy(o32)
            tdt = getattr(torch, name)

            def chain(t32: Any = t32, tdt: Any = tdt) -> Any:
                pixnorm.normalize(img, M, S, out=o32)
                return t32.to(tdt)

            cands.append((f"float32 + torch .to({name})", chain, None))
    oh = np.empty(hwc, np.float32)
    cands.append(
        (
            "layout='HWC' (float32)",
            lambda: pixnorm.normalize(img, M, S, out=oh, layout="HWC"),
            lambda: np.moveaxis(pixnorm.normalize(img, M, S), -3, -1),
        )
    )
    cands.append(
        (
            "float32 + numpy transpose copy",
            lambda: np.ascontiguousarray(
                np.moveaxis(pixnorm.normalize(img, M, S, out=o32), -3, -1)
            ),
            None,
        )
    )
    return title, cands


def preprocess_cases(imgs: list[np.ndarray], title: str) -> tuple[str, Candidates]:
    n = len(imgs)
    kw: dict[str, Any] = {"size": 256, "crop": 224}
    shape: tuple[int, ...] = (3, 224, 224) if n == 1 else (n, 3, 224, 224)

    def run(**extra: Any) -> Any:
        if n == 1:
            return pixnorm.preprocess(imgs[0], **kw, **extra)
        return pixnorm.preprocess_batch(imgs, **kw, **extra)

    o32 = np.empty(shape, np.float32)
    cands: Candidates = [("float32 CHW", lambda: run(mean=M, std=S, out=o32), None)]
    for name, kind in half_types():
        o = np.empty(shape, kind)

        def fused(o: np.ndarray = o, name: str = name) -> Any:
            return run(mean=M, std=S, out=o, dtype=name)

        def ref(kind: Any = kind) -> Any:
            return run(mean=M, std=S).astype(kind)

        cands.append((f"dtype={name}", fused, ref))
    oh = np.empty(shape[:-3] + (224, 224, 3), np.float32)
    cands.append(
        (
            "layout='HWC' (float32)",
            lambda: run(mean=M, std=S, out=oh, layout="HWC"),
            lambda: np.moveaxis(run(mean=M, std=S), -3, -1),
        )
    )
    ou = np.empty(shape, np.uint8)
    cands.append(
        (
            "dtype=uint8 (no normalization)",
            lambda: run(out=ou, dtype=np.uint8),
            lambda: np.clip(np.rint(run(scale=1.0)), 0, 255).astype(np.uint8),
        )
    )
    return title, cands


def check(groups: list[tuple[str, Candidates]]) -> None:
    for title, cands in groups:
        for label, fn, ref in cands:
            if ref is None:
                continue
            got, want = np.asarray(fn()), np.asarray(ref())
            size = got.dtype.itemsize
            same = got.shape == want.shape and np.array_equal(
                got.view(f"u{size}" if size > 1 else np.uint8),
                want.view(f"u{size}" if size > 1 else np.uint8),
            )
            if not same:
                raise SystemExit(f"{title}: {label} differs from its reference")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a few rounds (smoke run)")
    args = parser.parse_args()
    rounds, calls = (2, 2) if args.quick else (15, 10)
    pixnorm.set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    one = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    batch = rng.integers(0, 256, (64, 224, 224, 3), dtype=np.uint8)
    small = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    big = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    smalls = [rng.integers(0, 256, (375, 500, 3), dtype=np.uint8) for _ in range(64)]
    groups = [
        normalize_cases(one, "normalize 224x224"),
        normalize_cases(batch, "normalize 64 x 224x224"),
        preprocess_cases([small], "preprocess 500x375 -> 224"),
        preprocess_cases([big], "preprocess 1920x1080 -> 224"),
        preprocess_cases(smalls, "preprocess_batch 64 x 500x375 -> 224"),
    ]
    check(groups)
    flat = [(title, label, fn) for title, cands in groups for label, fn, _ in cands]
    samples = rotated_rounds(flat, rounds, calls)
    info = pixnorm.build_info()
    print("# output dtype and layout benchmark")
    print()
    print(
        f"- {cpu_model()}, {os.cpu_count()} logical CPUs, 1 thread; pixnorm {info['version']} "
        f"ISA {info['isa']}; torch {torch.__version__ if torch else 'n/a'}, ml_dtypes "
        f"{ml_dtypes.__version__ if ml_dtypes else 'n/a'}; {rounds} rounds x {calls} calls; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print("- each fused candidate was checked equal to its reference before timing")
    print()
    print("| case | candidate | median us | / float32 CHW |")
    print("|---|---|---:|---:|")
    for title, cands in groups:
        base = statistics.median(samples[(title, cands[0][0])])
        for label, _, _ in cands:
            m = statistics.median(samples[(title, label)])
            print(f"| {title} | {label} | {m:.0f} | {m / base:.2f}x |")


if __name__ == "__main__":
    main()
