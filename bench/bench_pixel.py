"""Benchmark per-pixel mean/std (a mean image, issue 13) against the per-channel call.

Cases (one thread; uint8 RGB input, random values, fixed seed; every output into a
preallocated ``out``):
- ``normalize`` of one 224x224 image: ImageNet mean/std per channel; a ``Normalizer`` with a
  mean image and a std image (per pixel: a and b per element, 1.2 MB of coefficients); with a
  mean image and std per channel (a per channel, only the 0.6 MB of offsets b per element);
  per pixel without a Normalizer (the coefficients computed every call); and the bound: one
  read of the coefficients (``np.add.reduce`` of a and b viewed as uint64);
- ``preprocess`` (``size=256, crop=224``) at 500x375, the same three mean/std kinds, and the
  chain it replaces: preprocess to the levels, then ``normalize`` per pixel;
- ``Collate`` of a batch of 8 500x375 images, per channel and per pixel.

The per-pixel affine runs inside the pass: each output row, still in L1, becomes
float32(float32(v * a) + b) as it is stored, with the bits of the two-pass chain. Its cost is
reading the coefficients: 8 bytes per output value (a and b) against the 4 the output writes.

Method: rounds of every candidate in a rotated order; each round times a block of calls per
candidate; a row is the median over rounds of the median call. Read the ratios: the machine may
be shared (the load average is printed). Timings are printed, never asserted.

Usage::

    python bench/bench_pixel.py            # full run (about half a minute)
    python bench/bench_pixel.py --quick    # smoke run
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import cpu_model, rotated_rounds

import pixnorm

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
TARGET = 1.3  # per pixel / per channel, at most (issue 13)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    rounds, calls = (3, 5) if args.quick else (15, 20)
    pixnorm.set_num_threads(1)
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    src = rng.integers(0, 256, (375, 500, 3), dtype=np.uint8)
    batch = [rng.integers(0, 256, (375, 500, 3), dtype=np.uint8) for _ in range(8)]
    mean_img = rng.uniform(0.3, 0.6, (224, 224, 3))
    std_img = rng.uniform(0.2, 0.3, (224, 224, 3))
    full = pixnorm.Normalizer(mean_img, std_img)
    offsets = pixnorm.Normalizer(mean_img, STD)
    out = np.empty((3, 224, 224), np.float32)
    a, b = full._coefficients(img, 1 / 255)  # (the arrays the pass reads)
    ev: dict[str, Any] = {"size": 256, "crop": 224}

    def chain() -> Any:  # preprocess to the levels, then normalize per pixel
        levels = pixnorm.preprocess(src, scale=1.0, **ev)
        return pixnorm.normalize(np.moveaxis(levels, 0, -1), full255, out=out)

    full255 = pixnorm.Normalizer(mean_img, std_img, scale=1 / 255)  # for float levels 0..255
    np.testing.assert_array_equal(chain(), pixnorm.preprocess(src, mean=full, **ev))
    collate_c = pixnorm.Collate(size=256, crop=224, mean=MEAN, std=STD, convention=None)
    collate_p = pixnorm.Collate(size=256, crop=224, mean=full, convention=None)
    groups: list[tuple[str, list[tuple[str, Callable[[], Any]]]]] = [
        (
            "normalize, one 224x224 image",
            [
                ("per channel", lambda: pixnorm.normalize(img, MEAN, STD, out=out)),
                ("per pixel (Normalizer)", lambda: pixnorm.normalize(img, full, out=out)),
                (
                    "mean image, std per channel (Normalizer)",
                    lambda: pixnorm.normalize(img, offsets, out=out),
                ),
                (
                    "per pixel, coefficients every call",
                    lambda: pixnorm.normalize(img, mean_img, std_img, out=out),
                ),
                (
                    "bound: one read of a and b",
                    lambda: [np.add.reduce(x.reshape(-1).view(np.uint64)) for x in (a, b)],
                ),
            ],
        ),
        (
            "preprocess 500x375 -> 224",
            [
                ("per channel", lambda: pixnorm.preprocess(src, mean=MEAN, std=STD, out=out, **ev)),
                (
                    "per pixel (Normalizer)",
                    lambda: pixnorm.preprocess(src, mean=full, out=out, **ev),
                ),
                (
                    "mean image, std per channel (Normalizer)",
                    lambda: pixnorm.preprocess(src, mean=offsets, out=out, **ev),
                ),
                ("chain: levels, then normalize per pixel", chain),
            ],
        ),
        (
            "Collate, 8 images 500x375 -> 224 (per image)",
            [
                ("per channel", lambda: collate_c(batch)),
                ("per pixel (Normalizer)", lambda: collate_p(batch)),
            ],
        ),
    ]
    flat = [(title, label, fn) for title, cands in groups for label, fn in cands]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    samples = rotated_rounds(flat, rounds, calls)
    print("# per-pixel mean/std benchmark\n")
    info = pixnorm.build_info()
    print(f"- {cpu_model()}, {os.cpu_count()} logical CPUs, 1 thread; pixnorm")
    print(f"  {info['version']} ISA {info['isa']}; numpy {np.__version__}; load average {load}")
    print(f"- {rounds} rounds of {calls} calls; a row: the median over rounds of the median call\n")
    checks = []
    for title, cands in groups:
        per = 8 if title.startswith("Collate") else 1
        med = {lbl: float(np.median(samples[(title, lbl)])) / per for lbl, _ in cands}
        base = med["per channel"]
        print(f"## {title}\n\n| candidate | us | / per channel |\n|---|---:|---:|")
        for lbl, _ in cands:
            print(f"| {lbl} | {med[lbl]:.1f} | {med[lbl] / base:.2f} |")
        print()
        for lbl in ("per pixel (Normalizer)", "mean image, std per channel (Normalizer)"):
            if lbl in med:
                checks.append((f"{title}: {lbl} / per channel", med[lbl] / base))
    print("## Target of the issue (measured, not asserted)\n\n| check | measured | target |")
    print("|---|---:|---:|")
    for name, value in checks:
        print(f"| {name} | {value:.2f} | <= {TARGET} |")


if __name__ == "__main__":
    main()
