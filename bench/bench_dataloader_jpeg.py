"""Benchmark a DataLoader epoch over a folder of JPEG files (issue 17): decoding included.

Data: N JPEG files (quality 90, 4:2:0; photograph mosaics at typical ImageNet sizes, 500x375,
375x500, 500x333, 640x480) in torchvision's ImageFolder layout, written once to a temporary
folder (or ``--folder DIR`` of your own).

Candidates, ``DataLoader(batch_size=32, num_workers=2)`` (fork; one thread per worker):
- torchvision v1: ``torchvision.datasets.ImageFolder`` (Pillow decodes) with ``Resize(256),
  CenterCrop(224), ToTensor(), Normalize`` (eval) or ``RandomResizedCrop(224),
  RandomHorizontalFlip()`` + the same conversion (train);
- torchvision v2: the files' bytes decoded by ``torchvision.io.decode_jpeg``, then the v2
  transforms on uint8 tensors (``ToDtype(float32, scale=True)``);
- pixnorm: ``pixnorm.data.ImageFolder`` (bytes) with ``pixnorm.Collate(..., decode=True)``
  (convention 'torch': the bits of v2's transforms on the decoded image), which decodes each
  JPEG only around the window its output reads.
Images per second over one epoch, from creating the iterator (worker start-up included) to the
last batch; best of ``--epochs`` epochs per candidate, the candidates interleaved. Decode's
share: ``pixnorm.decode`` of every file on one thread against pixnorm's whole epoch on one
worker process. The machine is shared: read the ratios. Not a test.

Usage: ``python bench/bench_dataloader_jpeg.py [--quick] [--images N] [--folder DIR]``
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _timing import cpu_model

import pixnorm

M = [0.485, 0.456, 0.406]
S = [0.229, 0.224, 0.225]
SIZES = [(375, 500), (500, 375), (333, 500), (480, 640)]


def write_folder(root: Path, n: int) -> None:
    from bench_load import jpeg, mosaic
    from PIL import Image  # noqa: F401  (bench_load's encoder)

    big = mosaic(1080, 1920)
    rng = np.random.default_rng(0)
    for i in range(n):
        h, w = SIZES[i % len(SIZES)]
        top, left = int(rng.integers(0, 1080 - h)), int(rng.integers(0, 1920 - w))
        cls = root / f"class{i % 4}"
        cls.mkdir(exist_ok=True)
        (cls / f"{i:05d}.jpg").write_bytes(jpeg(big[top : top + h, left : left + w]))


class BytesFolder:
    """(torchvision.io.decode_jpeg + v2 transforms, label) from pixnorm's file list."""

    def __init__(self, root: str, transform: Any) -> None:
        self.files = pixnorm.data.ImageFolder(root)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> Any:
        import torch
        import torchvision

        data, label = self.files[i]
        img = torchvision.io.decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8))
        return self.transform(img), label


def candidates(root: str, train: bool) -> dict[str, tuple[Any, Any]]:
    """name -> (dataset, collate_fn or None)."""
    import torch
    import torchvision
    from torchvision import transforms as v1
    from torchvision.transforms import v2

    if train:
        geo1 = [v1.RandomResizedCrop(224), v1.RandomHorizontalFlip()]
        geo2 = [v2.RandomResizedCrop(224), v2.RandomHorizontalFlip()]
        collate = pixnorm.Collate(size=(224, 224), random_resized_crop=True, decode=True,
                                  mean=M, std=S)  # fmt: skip
    else:
        geo1 = [v1.Resize(256), v1.CenterCrop(224)]
        geo2 = [v2.Resize(256), v2.CenterCrop(224)]
        collate = pixnorm.Collate(size=256, crop=224, decode=True, mean=M, std=S)
    tv1 = v1.Compose([*geo1, v1.ToTensor(), v1.Normalize(M, S)])
    tv2 = v2.Compose([*geo2, v2.ToDtype(torch.float32, scale=True), v2.Normalize(M, S)])
    return {
        "torchvision v1 ImageFolder (PIL decode)": (
            torchvision.datasets.ImageFolder(root, transform=tv1), None),
        "torchvision v2 (decode_jpeg + transforms)": (BytesFolder(root, tv2), None),
        "pixnorm ImageFolder + Collate(decode=True)": (pixnorm.data.ImageFolder(root), collate),
    }  # fmt: skip


def epoch(dataset: Any, collate: Any, workers: int) -> float:
    from torch.utils.data import DataLoader

    kwargs: dict[str, Any] = {"batch_size": 32, "num_workers": workers}
    if collate is not None:
        kwargs["collate_fn"] = collate
    if workers:
        kwargs["multiprocessing_context"] = "fork"
    t0 = time.perf_counter()
    n = 0
    for x, _ in DataLoader(dataset, **kwargs):
        n += len(x)
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 128 images, 1 epoch")
    parser.add_argument("--images", type=int, default=1024)
    parser.add_argument("--folder", help="an ImageFolder of your own (else written to a temp dir)")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        raise SystemExit("bench_dataloader_jpeg needs torch and torchvision") from None
    torch.set_num_threads(1)
    pixnorm.set_num_threads(1)
    n, epochs = (128, 1) if args.quick else (args.images, args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.folder or tmp
        if not args.folder:
            write_folder(Path(tmp), n)
        files = pixnorm.data.ImageFolder(root)
        t0 = time.perf_counter()
        for i in range(len(files)):
            pixnorm.decode(files.samples[i][0])
        decode_rate = len(files) / (time.perf_counter() - t0)
        rows = []
        for train in (False, True):
            cands = candidates(root, train)
            best = {name: 0.0 for name in cands}
            for _ in range(epochs):
                for name, (ds, coll) in cands.items():
                    best[name] = max(best[name], epoch(ds, coll, 2))
            rows.append((train, best))
        ds, coll = candidates(root, False)["pixnorm ImageFolder + Collate(decode=True)"]
        one_worker = epoch(ds, coll, 1)
    print(f"- CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print(f"- {len(files)} JPEG files; DataLoader(batch_size=32, num_workers=2, fork); best of "
          f"{epochs} epoch(s)\n")  # fmt: skip
    print("| pipeline | candidate | images/s | vs torchvision v1 |")
    print("|---|---|---:|---:|")
    for train, best in rows:
        base = next(iter(best.values()))
        for name, rate in best.items():
            print(f"| {'train (RRC, flip)' if train else 'eval (256, 224)'} | {name} | "
                  f"{rate:,.0f} | {rate / base:.2f}x |")  # fmt: skip
    share = one_worker / decode_rate
    print(f"\nDecode's share: pixnorm.decode alone {decode_rate:,.0f} images/s on one thread; "
          f"pixnorm's eval epoch on one worker {one_worker:,.0f} images/s, so decoding whole "
          f"files would be {share:.0%} of it (load decodes less).")  # fmt: skip


if __name__ == "__main__":
    main()
