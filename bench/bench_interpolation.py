"""Benchmark interpolation= (issue 15): bicubic and lanczos inside the pass against bilinear in
the same convention, and against the peers' bicubic followed by the same normalization.

Cases (one thread everywhere; uint8 RGB input, random values, fixed seed; evaluation style,
``Resize(256) -> CenterCrop(224)`` normalized with ImageNet mean/std into a preallocated
float32 CHW ``out``), at 500x375 and 1920x1080:
- pixnorm, per convention (None, 'pillow', 'torch', 'opencv'): bilinear (the reference row),
  bicubic, nearest, and for None and 'pillow' lanczos; None also bicubic without antialias
  (the same job as cv2 INTER_CUBIC); None and 'opencv' area; 'opencv' lanczos (INTER_LANCZOS4);
- peers, each its own bicubic then a fused numpy normalize of the crop: Pillow
  ``Image.resize(BICUBIC, box=...)`` with the crop fused (Pillow-SIMD when run in its venv,
  ``bash bench/pillow_simd.sh``), ``cv2.resize(INTER_CUBIC)`` then the crop (no antialias:
  OpenCV has none), torch ``interpolate(uint8, mode="bicubic", antialias=True)`` then the crop;
  ``cv2.resize(INTER_NEAREST)`` then the crop for nearest, ``cv2.resize(INTER_AREA)`` then the
  crop for area, ``cv2.resize(INTER_LANCZOS4)`` for the 'opencv' group's lanczos (that
  group's area and lanczos are cv2's bit for bit).
  'pillow' and 'torch' are checked equal to their library's bicubic (uint8 levels) first.

Targets (issue 15): bicubic at most 1.5x the bilinear time in the same convention, and at
least 3x faster than the fastest peer's bicubic; nearest at most 0.7x bilinear; area at least
3x faster than cv2 INTER_AREA + normalize. Method: rounds
of every candidate in a rotated order; each round times a block of calls per candidate; a row
is the median over rounds of the median call. Read the ratios: the machine may be shared (the
load average is printed). Timings are printed, never asserted.

Usage::

    python bench/bench_interpolation.py            # full run (about a minute)
    python bench/bench_interpolation.py --quick    # smoke run
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
    import cv2
except ImportError:  # depends on the environment
    cv2 = None
try:
    import torch
except ImportError:  # depends on the environment
    torch = None
try:
    from PIL import Image
except ImportError:  # depends on the environment
    Image = None  # type: ignore[assignment]

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
A = (1 / (255 * STD)).astype(np.float32)[:, None, None]
B = (-MEAN / STD).astype(np.float32)[:, None, None]
Candidates = list[tuple[str, Callable[[], Any]]]


def geometry(h: int, w: int) -> tuple[int, int, int, int]:
    """Resize(256)'s size and CenterCrop(224)'s offsets, torchvision's rules."""
    rh, rw = pixnorm.resized_size(h, w, 256)
    return rh, rw, int(round((rh - 224) / 2)), int(round((rw - 224) / 2))


def normalize_into(crop_hwc: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The peers' normalization: HWC uint8 crop -> CHW float32, x * a + b, into out."""
    np.multiply(crop_hwc.transpose(2, 0, 1), A, out=out, casting="unsafe")
    out += B
    return out


def cases(img: np.ndarray, name: str) -> list[tuple[str, Candidates]]:
    h, w = img.shape[:2]
    rh, rw, top, left = geometry(h, w)
    out = np.empty((3, 224, 224), np.float32)
    groups = []
    for conv, names in ((None, ("bilinear", "bicubic", "bicubic no-aa", "lanczos", "nearest",
                                "area")),
                        ("pillow", ("bilinear", "bicubic", "lanczos", "nearest")),
                        ("torch", ("bilinear", "bicubic", "nearest")),
                        ("opencv", ("bilinear no-aa", "nearest", "area",
                                    "lanczos no-aa"))):  # fmt: skip
        cands: Candidates = []
        for label in names:
            interp, aa = label.split()[0], not label.endswith("no-aa")

            def run(interp: str = interp, conv: str | None = conv, aa: bool = aa) -> Any:
                return pixnorm.preprocess(
                    img, size=256, crop=224, mean=MEAN, std=STD, convention=conv,
                    interpolation=interp, antialias=aa, out=out,
                )  # fmt: skip

            cands.append((f"pixnorm {label}", run))
        peers = peer_cases(img, rh, rw, top, left, out)
        if conv == "opencv":
            peers = [p for p in peers if p[0].startswith(("cv2 INTER_AREA", "cv2 INTER_LANC"))]
        elif conv is not None:
            peers = []
        groups.append((f"{name} convention {conv}", cands + peers))
    return groups


def peer_cases(
    img: np.ndarray, rh: int, rw: int, top: int, left: int, out: np.ndarray
) -> Candidates:
    cands: Candidates = []
    h, w = img.shape[:2]
    if Image is not None:
        pil = Image.fromarray(img)
        sx, sy = w / rw, h / rh
        box = (left * sx, top * sy, (left + 224) * sx, (top + 224) * sy)

        def pillow() -> Any:
            return normalize_into(np.asarray(pil.resize((224, 224), Image.BICUBIC, box=box)), out)

        cands.append(("Pillow BICUBIC (box) + numpy", pillow))
    if cv2 is not None:

        def opencv() -> Any:
            r = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_CUBIC)
            return normalize_into(r[top : top + 224, left : left + 224], out)

        cands.append(("cv2 INTER_CUBIC + numpy", opencv))

        def opencv_nearest() -> Any:
            r = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_NEAREST)
            return normalize_into(r[top : top + 224, left : left + 224], out)

        cands.append(("cv2 INTER_NEAREST + numpy", opencv_nearest))

        def opencv_area() -> Any:
            r = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_AREA)
            return normalize_into(r[top : top + 224, left : left + 224], out)

        cands.append(("cv2 INTER_AREA + numpy", opencv_area))

        def opencv_lanczos() -> Any:
            r = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_LANCZOS4)
            return normalize_into(r[top : top + 224, left : left + 224], out)

        cands.append(("cv2 INTER_LANCZOS4 + numpy", opencv_lanczos))
    if torch is not None:
        t = torch.from_numpy(img).permute(2, 0, 1)[None]

        def tch() -> Any:
            r = torch.nn.functional.interpolate(t, (rh, rw), mode="bicubic", antialias=True)
            c = r[0, :, top : top + 224, left : left + 224]
            return normalize_into(c.permute(1, 2, 0).numpy(), out)

        cands.append(("torch uint8 bicubic AA + numpy", tch))
    return cands


def check(img: np.ndarray) -> None:
    """'pillow' and 'torch' bicubic are their library's levels, bit for bit."""
    h, w = img.shape[:2]
    rh, rw, top, left = geometry(h, w)
    got = pixnorm.preprocess(
        img, size=256, crop=224, convention="pillow", interpolation="bicubic", dtype=np.uint8
    )
    if Image is not None:
        want = np.asarray(Image.fromarray(img).resize((rw, rh), Image.BICUBIC))
        if not np.array_equal(got.transpose(1, 2, 0), want[top : top + 224, left : left + 224]):
            raise SystemExit("pillow bicubic differs from Pillow")
    if torch is not None:
        got = pixnorm.preprocess(
            img, size=256, crop=224, convention="torch", interpolation="bicubic", dtype=np.uint8
        )
        t = torch.from_numpy(img).permute(2, 0, 1)[None]
        want = torch.nn.functional.interpolate(t, (rh, rw), mode="bicubic", antialias=True)
        if not np.array_equal(got, want[0, :, top : top + 224, left : left + 224].numpy()):
            raise SystemExit("torch bicubic differs from torch")
    if cv2 is not None:
        got = pixnorm.preprocess(
            img, size=256, crop=224, convention="opencv", interpolation="area", dtype=np.uint8
        )
        want = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_AREA)
        if not np.array_equal(got.transpose(1, 2, 0), want[top : top + 224, left : left + 224]):
            raise SystemExit("opencv area differs from cv2 INTER_AREA")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a few rounds (smoke run)")
    args = parser.parse_args()
    rounds, calls = (2, 3) if args.quick else (15, 15)
    pixnorm.set_num_threads(1)
    if cv2 is not None:
        cv2.setNumThreads(1)
    if torch is not None:
        torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    big = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    check(small)
    groups = cases(small, "500x375") + cases(big, "1920x1080")
    flat = [(title, label, fn) for title, cands in groups for label, fn in cands]
    samples = rotated_rounds(flat, rounds, calls)
    info = pixnorm.build_info()
    print("# interpolation benchmark")
    print()
    print(
        f"- {cpu_model()}, {os.cpu_count()} logical CPUs, 1 thread; pixnorm {info['version']} "
        f"ISA {info['isa']}; cv2 {cv2.__version__ if cv2 else 'n/a'}, torch "
        f"{torch.__version__ if torch else 'n/a'}, Pillow "
        f"{Image.__version__ if Image else 'n/a'}; {rounds} rounds x {calls} calls; load "  # type: ignore[attr-defined]
        f"average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        "- 'pillow' and 'torch' bicubic and 'opencv' area were checked equal to their library's "
        "before timing"
    )
    print()
    print("| case | candidate | median us | / bilinear |")
    print("|---|---|---:|---:|")
    for title, cands in groups:
        base = statistics.median(samples[(title, cands[0][0])])
        for label, _ in cands:
            m = statistics.median(samples[(title, label)])
            print(f"| {title} | {label} | {m:.0f} | {m / base:.2f}x |")
    print()
    print("Targets: bicubic <= 1.5x bilinear in the same convention; >= 3x faster than the")
    print("fastest peer's bicubic; nearest <= 0.7x bilinear; area >= 3x faster than cv2")
    print("INTER_AREA + normalize.")


if __name__ == "__main__":
    main()
