"""load: encoded bytes -> the preprocessed tensor, decoding only the part of a JPEG that the
output reads (bit for bit ``preprocess(decode(source), ...)``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._decode import MAX_IMAGE_PIXELS, MODES, _check_options, _source_bytes, decode
from ._resize import (
    Geometry,
    _check_convention,
    _geometry,
    _resolve_factor,
    preprocess,
)

__all__ = ["load"]

# Source pixels read beyond a filter's support, for safety (rounding of the sampling
# positions): the window is widened by this much on each side, then by the JPEG's iMCU.
_SLACK = 2


def _axis_window(b0: int, n: int, r: int, c0: int, c: int, factor: float) -> tuple[int, int]:
    """The source interval [lo, hi) that output pixels [c0, c0 + c) of an axis resized from
    source [b0, b0 + n) to r pixels read, for every convention's bilinear filter: sample
    positions (o + 0.5) * s - 0.5 (s = n / r, or 1 / factor where the grid follows a factor),
    a support of max(s, 1) pixels either side (the antialiased triangle; 1 without
    antialias), widened by _SLACK and clamped to the box (no convention reads outside it)."""
    scales = [n / r]
    if factor > 0:
        scales.append(1.0 / factor)
    lo, hi = b0 + n, b0
    for s in scales:
        support = max(s, 1.0)
        lo = min(lo, math.floor(b0 + c0 * s - 0.5 - support) - _SLACK)
        hi = max(hi, math.ceil(b0 + (c0 + c) * s + support) + _SLACK)
    return max(lo, b0), min(hi, b0 + n)


def _window(g: Geometry, ch: int, cw: int) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the source pixels preprocess reads for geometry g."""
    y0, y1 = _axis_window(g.box_top, g.box_height, g.resized_height, g.crop_top, ch, g.factor_y)
    x0, x1 = _axis_window(g.box_left, g.box_width, g.resized_width, g.crop_left, cw, g.factor_x)
    return y0, x0, y1 - y0, x1 - x0


def load(
    source: Any,
    *,
    mode: str | None = "RGB",
    orientation: bool = False,
    max_pixels: int | None = MAX_IMAGE_PIXELS,
    **options: Any,
) -> Any:
    """Decode ``source`` and preprocess it: :func:`pixnorm.preprocess` of
    :func:`pixnorm.decode`, bit for bit, in one call that decodes only what the output reads.

    ``source``, ``mode``, ``orientation`` and ``max_pixels`` are :func:`decode`'s; every
    other keyword is :func:`preprocess`'s (``size``, ``crop``, ``box``, ``flip``,
    ``antialias``, ``convention``, ``mean``, ``std``, ``scale``, ``max_size``, ``factor``,
    ``rounding``, ``exact_factor``, ``fit``, ``fill``, ``return_params``, ``color``,
    ``dtype``, ``layout``, ``out``), with the same meaning and defaults.

    For a JPEG (without an EXIF rotation to apply), only the rows and columns the output
    reads are decoded: the box, or for ``Resize + CenterCrop`` the part of the image under
    the crop, widened by the filter's support and by one more iMCU (8 or 16 pixels, where
    the chroma upsampling at a partial decode's edge differs from a full decode). libjpeg
    skips the IDCT, upsampling and colour conversion of the columns outside it
    (``jpeg_crop_scanline``) and of the rows above it (``jpeg_skip_scanlines``), and stops
    reading the file below it. Every pixel the output reads is the full decode's, so the
    result equals ``preprocess(decode(source), ...)`` bit for bit (tested over random boxes,
    crops, sizes and every convention). One difference: damage to a JPEG below the rows the
    output reads is not seen (``decode`` raises :class:`DecodeError`; ``load`` never reads
    those bytes). Other formats are decoded whole.

    Raises what :func:`decode` and :func:`preprocess` raise.
    """
    if "image" in options:
        raise TypeError("load: takes the encoded source, not image= (use preprocess)")
    limit = _check_options(mode, orientation, max_pixels)
    data = _source_bytes(source)
    img = _decode_window(data, mode, orientation, limit, options)
    if img is None:
        img = decode(data, mode=mode, orientation=orientation, max_pixels=max_pixels)
    return preprocess(img, **options)


def _decode_window(
    data: Any, mode: str | None, orientation: bool, limit: int, options: dict[str, Any]
) -> npt.NDArray[Any] | None:
    """The JPEG decoded in an image of its full size (zero elsewhere) around the window the
    options read; None where this does not apply (not a JPEG, no libjpeg, an orientation to
    apply): then the caller decodes the whole image."""
    if _core.CODECS["jpeg"] is None or len(data) < 3 or bytes(data[:3]) != b"\xff\xd8\xff":
        return None
    h, w, c, orient = _core.jpeg_header(data, MODES[mode], limit)
    if orientation and orient != 1:
        return None
    # np.zeros: calloc'd pages, touched only where the window is written
    img = np.zeros((h, w, c), np.uint8)
    region = _region(img, options)
    _core.decode_jpeg_into(data, MODES[mode], limit, region, img)
    return img


def _region(img: npt.NDArray[Any], options: dict[str, Any]) -> tuple[int, int, int, int] | None:
    """The source window preprocess(img, **options) reads, or None (the whole image) where it
    cannot be known from the options (fit, or options preprocess will refuse: its error then
    comes from preprocess, with its message)."""
    try:
        conv = _check_convention(options.get("convention"), options.get("antialias", True))[1]
        box = options.get("box")
        if options.get("fit") is not None:
            if box is None:
                return None
            g, _ = _geometry(img, "image", None, None, box, False, None, "box")
            return g.box_top, g.box_left, g.box_height, g.box_width
        size, max_size = options.get("size"), options.get("max_size")
        fac = _resolve_factor(
            options.get("factor"),
            options.get("rounding"),
            options.get("exact_factor", True),
            conv,
            size,
            max_size,
        )
        g, (ch, cw) = _geometry(
            img, "image", size, options.get("crop"), box, False, max_size, "box", fac=fac
        )
    except (TypeError, ValueError):
        return None
    return _window(g, ch, cw)
