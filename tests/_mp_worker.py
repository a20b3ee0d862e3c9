"""Worker functions for the multiprocessing tests (importable by spawn and forkserver children)."""

from __future__ import annotations

import numpy as np

import pixnorm


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (240, 320, 3), dtype=np.uint8)


def work(seed: int) -> tuple[bytes, int, bool]:
    out = pixnorm.normalize(image(seed), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    return out.tobytes(), pixnorm.get_num_threads(), pixnorm._core._in_forked_child()


class ImageDataset:
    """A map-style dataset (no torch import needed): uint8 images of varied sizes, a label
    that records the worker's pixnorm thread count, and fixed per-sample crop params."""

    def __init__(self, n: int = 24, train: bool = False) -> None:
        self.n, self.train = n, train

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[np.ndarray, tuple[int, int], object]:
        rng = np.random.default_rng(i)
        h, w = int(rng.integers(230, 400)), int(rng.integers(230, 400))
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        params = None
        if self.train:
            bh, bw = int(rng.integers(50, h)), int(rng.integers(50, w))
            top, left = int(rng.integers(0, h - bh)), int(rng.integers(0, w - bw))
            params = (top, left, bh, bw, bool(i % 2))
        return img, (i, pixnorm.get_num_threads()), params


def two_threads(worker_id: int) -> None:
    pixnorm.set_num_threads(2)


class TransformDataset(ImageDataset):
    """ImageDataset's images through a (picklable) transform, e.g. a pixnorm.transforms.Compose."""

    def __init__(self, transform: object, n: int = 24) -> None:
        super().__init__(n)
        self.transform = transform

    def __getitem__(self, i: int) -> tuple[np.ndarray, tuple[int, int], object]:
        img, label, _ = super().__getitem__(i)
        return self.transform(img), label  # type: ignore[operator,return-value]
