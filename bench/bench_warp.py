"""Benchmark the affine warps (issue 16): pixnorm.warp_affine / rotate against what users chain.

Case (one thread everywhere; uint8 RGB 500x375, random values, fixed seed): rotate by 23
degrees about the centre and scale to a 224x224 output, normalized with ImageNet mean/std into
a preallocated float32 CHW ``out``:
- pixnorm ``warp_affine`` in convention None (bilinear, nearest), 'pillow' and 'opencv'
  (bilinear; 'opencv' checked equal to ``cv2.warpAffine(WARP_INVERSE_MAP)`` first);
- ``cv2.warpAffine(INTER_LINEAR)`` then a numpy normalize (the same ``x * a + b`` pass);
- torchvision v2 ``rotate`` on the uint8 tensor, then ``resize`` to 224 and ``normalize``
  (what a torchvision pipeline does: RandomRotation then a resize);
- Pillow ``Image.transform(AFFINE, BILINEAR)`` then a numpy normalize.

Training-crop case: a RandomResizedCrop box (300x380 at (40, 60)) turned 15 degrees, resized to
224x224 and flipped: ``preprocess(box, angle=15, flip=True)`` (with and without antialias)
against ``cv2.warpAffine`` of the same map + ``cv2.flip`` + the numpy normalize, and
torchvision v2's ``resized_crop`` + ``rotate`` + ``horizontal_flip`` + ``normalize`` (which turns
the resized crop: the same work, a different image; see crop_candidates).

Polar case: the same image to a 224x224 polar image about its centre (``max_radius`` the
half-diagonal), bilinear: ``warp_polar`` in convention None and 'opencv' against
``cv2.warpPolar(WARP_FILL_OUTLIERS)`` then the numpy normalize.

Targets (issue 16): at least 3x faster than cv2.warpAffine + normalize and 5x faster than
torchvision's rotate + resize + normalize; warp_polar at least 3x faster than cv2.warpPolar +
normalize. Rounds of every candidate in a rotated order; a row
is the median over rounds of the median call. Timings are printed, never asserted.

Usage::

    python bench/bench_warp.py            # full run
    python bench/bench_warp.py --quick    # smoke run
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import math
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
    from torchvision.transforms.v2 import functional as TF
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


def inverse_map(h: int, w: int, angle: float, out: int) -> np.ndarray:
    """Output pixel -> source: rotate by `angle` degrees about the image centre, scaled so the
    shorter side fills the output, centred."""
    s = min(h, w) / out
    a = math.radians(angle)
    lin = s * np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    c_out = np.array([(out - 1) / 2, (out - 1) / 2])
    c_in = np.array([(w - 1) / 2, (h - 1) / 2])
    return np.hstack([lin, (c_in - lin @ c_out)[:, None]])


def normalize_into(hwc: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.multiply(hwc.transpose(2, 0, 1), A, out=out, casting="unsafe")
    out += B
    return out


def candidates(img: np.ndarray) -> list[tuple[str, Callable[[], Any]]]:
    h, w = img.shape[:2]
    m = inverse_map(h, w, 23.0, 224)
    out = np.empty((3, 224, 224), np.float32)
    cands: list[tuple[str, Callable[[], Any]]] = []
    combos = ((None, "bilinear"), (None, "nearest"), ("pillow", "bilinear"), ("opencv", "bilinear"))
    for conv, interp in combos:

        def run(conv: str | None = conv, interp: str = interp) -> Any:
            return pixnorm.warp_affine(
                img, m, 224, interpolation=interp, convention=conv, mean=MEAN, std=STD, out=out
            )

        cands.append((f"pixnorm warp_affine {conv} {interp}", run))
    if cv2 is not None:
        fwd = cv2.invertAffineTransform(m)
        # 'opencv' is cv2.warpAffine(WARP_INVERSE_MAP) bit for bit: checked before timing
        levels = pixnorm.warp_affine(img, m, 224, convention="opencv", dtype=np.uint8, layout="HWC")
        want = cv2.warpAffine(img, m, (224, 224), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        if not np.array_equal(levels, want):
            raise SystemExit("warp_affine 'opencv' differs from cv2.warpAffine")

        def opencv() -> Any:
            r = cv2.warpAffine(img, fwd, (224, 224), flags=cv2.INTER_LINEAR)
            return normalize_into(r, out)

        cands.append(("cv2.warpAffine + numpy", opencv))
    if torch is not None:
        t = torch.from_numpy(img).permute(2, 0, 1)
        mean_t, std_t = [float(v) for v in MEAN], [float(v) for v in STD]

        def tv() -> Any:
            r = TF.rotate(t, 23.0, TF.InterpolationMode.BILINEAR)
            r = TF.resize(r, [224, 224], antialias=True)
            return TF.normalize(TF.to_dtype(r, torch.float32, scale=True), mean_t, std_t)

        cands.append(("torchvision rotate + resize + normalize", tv))
    if Image is not None:
        pil = Image.fromarray(img)
        data = tuple(
            float(v)
            for v in (
                m[0, 0],
                m[0, 1],
                ((m[0, 2] - 0.5 * m[0, 0]) - 0.5 * m[0, 1]) + 0.5,
                m[1, 0],
                m[1, 1],
                ((m[1, 2] - 0.5 * m[1, 0]) - 0.5 * m[1, 1]) + 0.5,
            )  # fmt: skip
        )

        def pillow() -> Any:
            r = pil.transform((224, 224), Image.Transform.AFFINE, data, Image.BILINEAR)
            return normalize_into(np.asarray(r), out)

        cands.append(("Pillow transform + numpy", pillow))
    return cands


def polar_candidates(img: np.ndarray) -> list[tuple[str, Callable[[], Any]]]:
    h, w = img.shape[:2]
    center = ((w - 1) / 2, (h - 1) / 2)
    radius = math.hypot(w, h) / 2
    out = np.empty((3, 224, 224), np.float32)
    cands: list[tuple[str, Callable[[], Any]]] = []
    for conv in (None, "opencv"):

        def run(conv: str | None = conv) -> Any:
            return pixnorm.warp_polar(
                img, 224, center, radius, convention=conv, mean=MEAN, std=STD, out=out
            )

        cands.append((f"pixnorm warp_polar {conv}", run))
    if cv2 is not None:
        flags = cv2.INTER_LINEAR | cv2.WARP_FILL_OUTLIERS

        def opencv() -> Any:
            return normalize_into(cv2.warpPolar(img, (224, 224), center, radius, flags), out)

        cands.append(("cv2.warpPolar + numpy", opencv))
    return cands


BOX = (40, 60, 300, 380)  # a RandomResizedCrop box of the 500x375 image (top, left, h, w)
TURN = 15.0


def crop_candidates(img: np.ndarray) -> list[tuple[str, Callable[[], Any]]]:
    """A training sample: the box turned 15 degrees, to 224x224, flipped, normalized.
    pixnorm's preprocess(angle=) turns the source about the box's centre before resizing (the
    corners show the image around the box); the peers turn the resized crop (torchvision's
    RandomResizedCrop then RandomRotation: black corners) or warp once (cv2, the same map as
    pixnorm without antialias): the same work per pixel, not the same image."""
    out = np.empty((3, 224, 224), np.float32)
    cands: list[tuple[str, Callable[[], Any]]] = []
    for aa in (True, False):

        def run(aa: bool = aa) -> Any:
            return pixnorm.preprocess(
                img, box=BOX, size=(224, 224), angle=TURN, flip=True, antialias=aa, mean=MEAN,
                std=STD, out=out,
            )  # fmt: skip

        cands.append((f"pixnorm preprocess(angle=) antialias={aa}", run))
    if cv2 is not None:
        top, left, bh, bw = BOX
        sx, sy = bw / 224, bh / 224
        cx, cy = left + bw / 2 - 0.5, top + bh / 2 - 0.5
        a = math.radians(TURN)
        c, s = math.cos(a), math.sin(a)
        dx, dy = (0.5 * sx - 0.5 + left) - cx, (0.5 * sy - 0.5 + top) - cy
        m = np.array(
            [[c * sx, -s * sy, cx + c * dx - s * dy], [s * sx, c * sy, cy + s * dx + c * dy]]
        )

        def opencv() -> Any:
            r = cv2.warpAffine(img, m, (224, 224), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
            return normalize_into(cv2.flip(r, 1), out)

        cands.append(("cv2.warpAffine + flip + numpy", opencv))
    if torch is not None:
        t = torch.from_numpy(img).permute(2, 0, 1)
        mean_t, std_t = [float(v) for v in MEAN], [float(v) for v in STD]

        def tv() -> Any:
            r = TF.resized_crop(t, *BOX, [224, 224], antialias=True)
            r = TF.horizontal_flip(TF.rotate(r, TURN, TF.InterpolationMode.BILINEAR))
            return TF.normalize(TF.to_dtype(r, torch.float32, scale=True), mean_t, std_t)

        cands.append(("torchvision resized_crop + rotate + flip + normalize", tv))
    return cands


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
    img = np.random.default_rng(0).integers(0, 256, (375, 500, 3), dtype=np.uint8)
    cands = candidates(img)
    title = "500x375 -> rotate 23 deg -> 224x224"
    polar = polar_candidates(img)
    ptitle = "500x375 -> polar 224x224"
    crop = crop_candidates(img)
    ctitle = "500x375 box -> turn 15 deg -> 224x224, flip"
    samples = rotated_rounds(
        [(title, label, fn) for label, fn in cands]
        + [(ptitle, label, fn) for label, fn in polar]
        + [(ctitle, label, fn) for label, fn in crop],
        rounds,
        calls,
    )
    info = pixnorm.build_info()
    print("# warp benchmark")
    print()
    print(
        f"- {cpu_model()}, {os.cpu_count()} logical CPUs, 1 thread; pixnorm {info['version']} "
        f"ISA {info['isa']}; cv2 {cv2.__version__ if cv2 else 'n/a'}, torch "
        f"{torch.__version__ if torch else 'n/a'}; {rounds} rounds x {calls} calls; load "
        f"average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print()
    print("| case | candidate | median us | / first row of its case |")
    print("|---|---|---:|---:|")
    base = statistics.median(samples[(title, cands[0][0])])
    for label, _ in cands:
        med = statistics.median(samples[(title, label)])
        print(f"| {title} | {label} | {med:.0f} | {med / base:.2f}x |")
    base = statistics.median(samples[(ptitle, polar[0][0])])
    for label, _ in polar:
        med = statistics.median(samples[(ptitle, label)])
        print(f"| {ptitle} | {label} | {med:.0f} | {med / base:.2f}x |")
    base = statistics.median(samples[(ctitle, crop[0][0])])
    for label, _ in crop:
        med = statistics.median(samples[(ctitle, label)])
        print(f"| {ctitle} | {label} | {med:.0f} | {med / base:.2f}x |")
    print()
    print("Targets: >= 3x faster than cv2.warpAffine + normalize; >= 5x faster than")
    print("torchvision rotate + resize + normalize; warp_polar >= 3x faster than cv2.warpPolar +")
    print("normalize.")


if __name__ == "__main__":
    main()
