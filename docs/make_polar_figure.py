"""Draws docs/polar.jpg: a photograph, its polar image and the inverse of that (pixnorm.warp_polar).

Usage: python docs/make_polar_figure.py  (needs scikit-image for the photograph and Pillow to
write the JPEG; the figure in the repository was made with this script)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

import pixnorm


def main() -> None:
    photo = np.ascontiguousarray(data.astronaut()[::2, ::2])  # uint8 (256, 256, 3)
    h, w = photo.shape[:2]
    center, radius = ((w - 1) / 2, (h - 1) / 2), float(np.hypot(w, h) / 2)
    kw = {"dtype": np.uint8, "layout": "HWC"}
    # rows: angles 0..360 degrees; columns: the radius, 0..max_radius (log: more for small radii)
    polar = pixnorm.warp_polar(photo, (h, w), center, radius, **kw)
    log_polar = pixnorm.warp_polar(photo, (h, w), center, radius, log=True, **kw)
    back = pixnorm.warp_polar(polar, (h, w), center, radius, inverse=True, **kw)
    gap = np.full((h, 8, 3), 255, np.uint8)
    row = np.concatenate([photo, gap, polar, gap, log_polar, gap, back], axis=1)
    out = Path(__file__).with_name("polar.jpg")
    Image.fromarray(row).save(out, quality=85, optimize=True)
    print(f"wrote {out} ({row.shape[1]} x {row.shape[0]})")


if __name__ == "__main__":
    main()
