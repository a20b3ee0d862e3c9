"""Datasets that hand out encoded files, for loaders that decode in the collate step.

``ImageFolder(root)`` is torchvision's ``ImageFolder`` layout (``root/<class>/<file>``, classes
sorted by name), but a sample is ``(encoded bytes, class index)``: reading a file is all a
DataLoader worker does per sample, the bytes (about a tenth of the decoded pixels for JPEG)
travel between processes, and :class:`pixnorm.Collate` with ``decode=True`` decodes, crops,
resizes and normalizes the whole batch in one call::

    dataset = pixnorm.data.ImageFolder("train/")
    collate = pixnorm.Collate(size=(224, 224), random_resized_crop=True, decode=True,
                              mean=MEAN, std=STD)
    loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2,
                        collate_fn=collate)

No torch import here: any object with ``__len__`` and ``__getitem__`` is a map-style dataset.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["IMG_EXTENSIONS", "ImageFolder"]

#: torchvision's image extensions (lower case; a file's suffix is compared in lower case).
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class ImageFolder:
    """``root/<class>/**/<file>`` -> samples ``(bytes, class_index)``.

    Parameters
    ----------
    root : str or path
        A folder with one sub-folder per class (sorted by name: ``classes[i]`` is class i).
    extensions : tuple of str
        The file suffixes taken (compared in lower case), :data:`IMG_EXTENSIONS` by default.

    Attributes
    ----------
    classes : list of str
    class_to_idx : dict of str to int
    samples : list of (str, int)
        Every file's path and class, sorted by class then path (torchvision's order).
    """

    def __init__(self, root: str | os.PathLike[str], extensions: tuple[str, ...] = IMG_EXTENSIONS):
        if not isinstance(root, str | os.PathLike):
            raise TypeError(f"root: expected a path, got {type(root).__name__}")
        base = Path(root)
        if not base.is_dir():
            raise FileNotFoundError(f"root: {str(base)!r} is not a folder")
        if isinstance(extensions, str) or not all(isinstance(e, str) for e in extensions):
            raise TypeError("extensions: expected a tuple of suffixes such as ('.jpg', '.png')")
        wanted = tuple(e.lower() for e in extensions)
        self.root = str(base)
        self.classes = sorted(d.name for d in base.iterdir() if d.is_dir())
        if not self.classes:
            raise FileNotFoundError(f"root: {str(base)!r} has no class folders")
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples: list[tuple[str, int]] = []
        for c in self.classes:
            files = sorted(
                str(p) for p in (base / c).rglob("*") if p.is_file() and p.suffix.lower() in wanted
            )
            self.samples.extend((f, self.class_to_idx[c]) for f in files)
        if not self.samples:
            raise FileNotFoundError(
                f"root: no files with the extensions {', '.join(wanted)} under {str(base)!r}"
            )
        self.targets = [t for _, t in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[bytes, int]:
        path, target = self.samples[index]
        with open(path, "rb") as f:
            return f.read(), target

    def __repr__(self) -> str:
        return (
            f"ImageFolder({self.root!r}: {len(self.samples)} files in {len(self.classes)} classes)"
        )
