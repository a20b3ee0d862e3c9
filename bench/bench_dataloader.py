"""Benchmark a DataLoader epoch: torchvision transforms vs pixnorm.transforms vs pixnorm.Collate.

Data: decoded images held in memory (no file decoding is timed): scikit-image photographs
resized with ``pixnorm.resize`` to typical ImageNet sizes (500x375, 375x500, 500x333, 640x480,
...), repeated to a few thousand samples (the list holds references, so memory stays small).

Pipelines (ImageNet mean/std), each as a user would write it:
- eval: ``Resize(256), CenterCrop(224), ToTensor(), Normalize`` (v1 on PIL images; v2 with
  ``ToDtype(float32, scale=True)`` on uint8 CHW tensors);
- train: ``RandomResizedCrop(224), RandomHorizontalFlip()`` then the same conversion;
- rotate (issue 16): ``RandomResizedCrop(224), RandomRotation(15), RandomHorizontalFlip()`` then
  the same conversion (torchvision's default nearest rotation; the Collate takes
  ``warp=RandomRotation(15)`` and draws box, angle and flip per sample in that order).
Candidates: torchvision on PIL images, torchvision v2 on uint8 tensors, the same pipelines with
``pixnorm.transforms`` (bit-identical outputs, checked on the first batch), and
``pixnorm.Collate`` (workers return uint8 arrays, plus RandomResizedCrop params for train; the
batch is written by one preprocess call) with convention 'pillow' (bit-identical to torchvision
on PIL images), 'torch' (bit-identical to v2 on tensors) and None (pixnorm's own arithmetic,
within half a uint8 level of the exact result, fastest). ``DataLoader(batch_size=64)`` with 0
workers (one core: torch and pixnorm at 1 thread) and 2 workers (fork, 1 thread each).

Images per second over one epoch, timed from creating the iterator (worker start-up included)
to the last batch; the machine is shared and noisy: read the ratios. Not a test.

Usage: ``python bench/bench_dataloader.py [--quick] [--images N]``
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_normalize as bn  # noqa: E402  (environment helpers)

import pixnorm  # noqa: E402
import pixnorm.transforms as P  # noqa: E402

MEAN, STD = bn.MEAN, bn.STD
SIZES = [(375, 500), (500, 375), (333, 500), (500, 333), (480, 640), (427, 640), (500, 500)]
BATCH = 64


def photos() -> list[np.ndarray]:
    from skimage import data

    srcs = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
    return [pixnorm.resize(p, hw) for p in srcs for hw in SIZES]


class Samples:
    """A map-style dataset over in-memory images: ``transform(image)`` and a label, or (for
    the collate) the raw uint8 array, a label and, for training, RandomResizedCrop params."""

    def __init__(self, items: list[Any], n: int, transform: Any = None, params: bool = False):
        self.items, self.n, self.transform, self.params = items, n, transform, params

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        img = self.items[i % len(self.items)]
        if self.transform is not None:
            return self.transform(img), i % 1000
        if self.params:
            h, w = img.shape[:2]
            return img, i % 1000, pixnorm.random_params(h, w)
        return img, i % 1000


def pipelines(mode: str) -> dict[str, Any]:
    import torch
    import torchvision.transforms as T
    from torchvision.transforms import v2

    if mode == "eval":
        geo_t: list[Any] = [T.Resize(256), T.CenterCrop(224)]
        geo_v2: list[Any] = [v2.Resize(256), v2.CenterCrop(224)]
        geo_p: list[Any] = [P.Resize(256), P.CenterCrop(224)]
    else:
        rot = mode == "rotate"
        geo_t = [T.RandomResizedCrop(224), *([T.RandomRotation(15)] if rot else []),
                 T.RandomHorizontalFlip()]  # fmt: skip
        geo_v2 = [v2.RandomResizedCrop(224), *([v2.RandomRotation(15)] if rot else []),
                  v2.RandomHorizontalFlip()]  # fmt: skip
        geo_p = [P.RandomResizedCrop(224), *([P.RandomRotation(15)] if rot else []),
                 P.RandomHorizontalFlip()]  # fmt: skip
    to_dtype = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
    return {
        "tv_pil": T.Compose([*geo_t, T.ToTensor(), T.Normalize(MEAN, STD)]),
        "tv_tensor": v2.Compose([*geo_v2, *to_dtype]),
        "px_pil": P.Compose([*geo_p, P.ToTensor(), P.Normalize(MEAN, STD)]),
        "px_tensor": P.Compose([*geo_p, P.ToDtype(torch.float32, True), P.Normalize(MEAN, STD)]),
    }


def epoch(dataset: Any, workers: int, collate: Any = None) -> tuple[float, Any]:
    from torch.utils.data import DataLoader

    kw: dict[str, Any] = {"batch_size": BATCH, "num_workers": workers}
    if collate is not None:
        kw["collate_fn"] = collate
    if workers:
        kw["multiprocessing_context"] = "fork"
    loader = DataLoader(dataset, **kw)
    t0 = time.perf_counter()
    first = None
    count = 0
    for batch, _ in loader:
        if first is None:
            first = batch
        count += int(batch.shape[0])
    return count / (time.perf_counter() - t0), first


def collate(mode: str, convention: str | None, to_tensor: bool) -> pixnorm.Collate:
    train = mode != "eval"
    return pixnorm.Collate(
        (224, 224) if train else 256,
        None if train else 224,
        mean=MEAN,
        std=STD,
        convention=convention,
        to_tensor=to_tensor,
        random_resized_crop=mode == "rotate",
        warp=P.RandomRotation(15) if mode == "rotate" else None,
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run (< 20 s)")
    ap.add_argument("--images", type=int, default=None, help="samples per epoch")
    args = ap.parse_args(argv)
    import torch
    from PIL import Image

    n = args.images or (128 if args.quick else 2048)
    bn.print_header(bn.environment(), "pixnorm DataLoader benchmark")
    arrays = photos()
    pils = [Image.fromarray(a) for a in arrays]
    tensors = [torch.from_numpy(a).permute(2, 0, 1).contiguous() for a in arrays]
    print(f"{n} samples per epoch from {len(arrays)} distinct images, batch {BATCH}\n")
    rows = []
    for mode in ("eval", "train", "rotate"):
        pipes = pipelines(mode)
        name = {
            "eval": "eval (Resize 256, CenterCrop 224)",
            "train": "train (RRC, flip)",
            "rotate": "train (RRC, RandomRotation(15), flip)",
        }[mode]
        # (rotate: the collate draws box, angle and flip, in torchvision's order)
        raw = Samples(arrays, n, params=mode == "train")
        # (label, dataset, collate_fn or None, index of the torchvision run it must equal)
        cands: list[tuple[str, Samples, Any, int | None]] = [
            ("torchvision v1 on PIL", Samples(pils, n, pipes["tv_pil"]), None, None),
            (
                "torchvision v2 on uint8 tensors",
                Samples(tensors, n, pipes["tv_tensor"]),
                None,
                None,
            ),
            ("pixnorm.transforms on PIL", Samples(pils, n, pipes["px_pil"]), None, 0),
            ("pixnorm.transforms on tensors", Samples(tensors, n, pipes["px_tensor"]), None, 1),
            ("pixnorm.Collate, convention='pillow'", raw, collate(mode, "pillow", True), 0),
            ("pixnorm.Collate, convention='torch'", raw, collate(mode, "torch", False), 1),
            ("pixnorm.Collate, convention=None", raw, collate(mode, None, False), None),
        ]
        for workers in (0, 2):
            if workers == 0:
                torch.set_num_threads(1)
                pixnorm.set_num_threads(1)
            rates, firsts = [], []
            for _, ds, col, _ in cands:
                torch.manual_seed(0)  # the same draws for every candidate
                rate, first = epoch(ds, workers, col)
                rates.append(rate)
                firsts.append(first)
            same = all(
                torch.equal(firsts[ref], firsts[k])
                for k, (_, _, _, ref) in enumerate(cands)
                if ref is not None
            )
            for k, (label, _, _, _) in enumerate(cands):
                rows.append(
                    (name, workers, label, rates[k], rates[k] / rates[0], rates[k] / rates[1])
                )
            print(
                f"{name}, {workers} workers: first batch of every bit-exact pixnorm candidate "
                f"equal to torchvision's: {'yes' if same else 'NO'}",
                flush=True,
            )
    print()
    print("| pipeline | workers | candidate | images/s | / tv PIL | / tv v2 tensor |")
    print("|---|---:|---|---:|---:|---:|")
    for name, workers, label, rate, r1, r2 in rows:
        print(f"| {name} | {workers} | {label} | {rate:.0f} | {r1:.2f} | {r2:.2f} |")


if __name__ == "__main__":
    main()
