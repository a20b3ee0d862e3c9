"""resize, preprocess and preprocess_batch: the geometry (torchvision's rules) in Python, the
pixels in one C++ pass."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from . import _core
from ._args import (
    MAX_SIDE,
    UINT8_RULE,
    _bfloat16,
    _brief,
    _image,
    _int,
    _is_per_pixel,
    _layout,
    _out_bits,
    _out_dtype,
    _pair,
    _pixel_affine,
    _range_message,
    _real,
    _scale,
    _seq,
    _side,
    _typed,
    _values,
    _warn,
)
from ._normalizer import Normalizer, _unpack

Size = int | tuple[int, int] | Sequence[int]


class Geometry(NamedTuple):
    """One image's geometry as the core's preprocess takes it (pixnorm::Geometry, same order):
    the box in source pixels, the size the box is resized to, the crop window's top-left inside
    the resized image, and the flips of the result: horizontal, vertical (0 or 1 each)."""

    box_top: int
    box_left: int
    box_height: int
    box_width: int
    resized_height: int
    resized_width: int
    crop_top: int
    crop_left: int
    flip: int
    vflip: int = 0
    factor_y: float = 0.0  # > 0: resized by this factor, the grid following it
    factor_x: float = 0.0
    shift_y: float = 0.0  # source pixels added to each sample position (angle='s first stage)
    shift_x: float = 0.0


Box = tuple[int, int, int, int] | Sequence[int]


def _smallest_max_size(short: int, long: int) -> int:
    """The smallest m with ``int(m * short / long) >= 1`` (torchvision's rounding)."""
    m = max(1, long // short)
    while int(m * short / long) < 1:
        m += 1
    return m


ROUNDINGS = ("floor", "round", "ceil")
Factor = float | tuple[float, float] | Sequence[float]


class _Factor(NamedTuple):
    """A resize by factors, resolved: (fy, fx), the rounding of the sizes, and whether the
    grid follows the factors (else the sizes)."""

    fy: float
    fx: float
    rounding: str
    grid: bool


def _resolve_factor(
    factor: Any,
    rounding: Any,
    exact_factor: Any,
    convention: str | None,
    size: Any,
    max_size: Any,
) -> _Factor | None:
    """``factor``, ``rounding`` and ``exact_factor`` checked against each other, the
    convention and ``size``/``max_size``; None without a factor."""
    if not isinstance(exact_factor, bool | np.bool_):
        raise TypeError(f"exact_factor: expected a bool, got {_brief(exact_factor)}")
    if factor is None:
        if rounding is not None:
            raise ValueError("rounding: only with factor (the sizes of a resize by a factor)")
        if not exact_factor:
            raise ValueError("exact_factor: only with factor (the grid of a resize by a factor)")
        return None
    if size is not None:
        raise ValueError("factor: give size or factor, not both")
    if max_size is not None:
        raise ValueError("max_size: only with size (not with factor)")
    factor = _seq(factor)
    if isinstance(factor, np.ndarray) and factor.ndim == 0:  # a numpy or torch scalar
        factor = factor.item()
    if isinstance(factor, str | bytes):
        raise TypeError(f"factor: expected a number or (fy, fx), got {_brief(factor)}")
    if isinstance(factor, np.ndarray) and factor.ndim != 1:
        raise ValueError(
            f"factor: expected a number or (fy, fx), got an array of shape {factor.shape}"
        )
    items = list(factor) if isinstance(factor, Sequence | np.ndarray) else [factor, factor]
    if len(items) != 2:
        raise ValueError(f"factor: expected a number or (fy, fx), got {len(items)} values")
    fy, fx = (_real(v, "factor") for v in items)
    for f in (fy, fx):
        if not (f > 0 and math.isfinite(f)):
            raise ValueError(f"factor: expected a finite number > 0, got {f}")
    if rounding is None:
        rounding = "round" if convention in ("opencv", "pillow") else "floor"
    if not isinstance(rounding, str) or rounding not in ROUNDINGS:
        raise ValueError(
            f"rounding: expected one of {', '.join(map(repr, ROUNDINGS))}, got {_brief(rounding)}"
        )
    if convention == "opencv" and rounding != "round":
        raise ValueError(
            f"rounding: {rounding!r} is not OpenCV's: cv2.resize(fx=..., fy=...) rounds the "
            "size to nearest; use rounding='round' (or None) with convention='opencv'"
        )
    # Pillow's ImageOps.scale resizes to the rounded size: its grid follows the sizes.
    grid = bool(exact_factor) and convention != "pillow"
    return _Factor(fy, fx, rounding, grid)


def _scaled_side(n: int, f: float, rounding: str, name: str) -> int:
    """``n * f`` (in float64, as torch, OpenCV and Pillow compute it) rounded."""
    x = float(n) * f
    if not x < MAX_SIDE + 1:
        raise ValueError(
            f"factor: {f} makes a side of {n} pixels {x:g}, more than the {MAX_SIDE} per side "
            "pixnorm resizes to"
        )
    v = math.floor(x) if rounding == "floor" else math.ceil(x) if rounding == "ceil" else round(x)
    if v < 1:
        raise ValueError(
            f"factor: {f} makes the side of {n} pixels of the {name} {x:g}, which rounds "
            f"({rounding}) to 0; expected at least 1 pixel"
        )
    return int(v)


def _factor_size(h: int, w: int, fac: _Factor, name: str) -> tuple[int, int, float, float]:
    """The resized (h, w) of an (h, w) image and the factors its grid follows (0: sizes)."""
    oh = _scaled_side(h, fac.fy, fac.rounding, name)
    ow = _scaled_side(w, fac.fx, fac.rounding, name)
    return oh, ow, (fac.fy if fac.grid else 0.0), (fac.fx if fac.grid else 0.0)


def resized_size(
    height: int,
    width: int,
    size: Size | None = None,
    max_size: int | None = None,
    *,
    factor: Factor | None = None,
    rounding: str | None = None,
    convention: str | None = None,
) -> tuple[int, int]:
    """The (h, w) that ``size`` asks for, by torchvision's rule.

    An int resizes the shorter side to ``size`` and the longer to ``new_long = int(size * long /
    short)`` (truncated); if that exceeds ``max_size`` the longer side becomes ``max_size`` and
    the shorter ``int(max_size * size / new_long)`` (torchvision's order of roundings). A pair
    is (h, w) as given (``max_size`` not allowed). ``size=None`` with ``max_size`` (torchvision
    v2): the longer side becomes ``max_size`` and the shorter ``int(max_size * short / long)``.

    A shorter side that would round to 0 (a very elongated image and a small ``max_size``) is
    a ValueError naming ``max_size``: torchvision raises there too (torch: "Input and output
    sizes should be greater than 0", Pillow: "height and width must be > 0").

    ``factor`` (instead of ``size``): a number or (fy, fx); each side is ``side * factor`` in
    float64, rounded by ``rounding``: "floor" (torch's ``interpolate(scale_factor=...)``),
    "round" (to nearest, ties to even: ``cv2.resize(fx=...)``, Pillow's ``ImageOps.scale``) or
    "ceil"; None: the convention's rule (floor for None and 'torch', round for 'opencv' and
    'pillow').
    """
    height, width = _int(height, "height"), _int(width, "width")
    if height < 1 or width < 1:
        raise ValueError(
            f"height, width: expected an image of at least 1 x 1, got ({_brief(height)}, "
            f"{_brief(width)})"
        )
    if convention is not None:  # the core's names (resize and preprocess check the same)
        _check_convention(convention, convention != "opencv")
    if factor is not None or rounding is not None:
        fac = _resolve_factor(factor, rounding, True, convention, size, max_size)
        assert fac is not None
        oh, ow, _, _ = _factor_size(height, width, fac, "image")
        return oh, ow
    if size is None:
        if max_size is None:
            raise ValueError("size: None needs max_size (the longer side), or give size or factor")
        m = _side(max_size, "max_size")
        short, long = (height, width) if height <= width else (width, height)
        new_short = int(m * short / long)
        if new_short < 1:
            raise ValueError(
                f"max_size: {m} makes the shorter side of a ({height}, {width}) image 0; "
                f"expected max_size >= {_smallest_max_size(short, long)} for this image"
            )
        return (new_short, m) if height <= width else (m, new_short)
    s = _pair(size, "size")
    if isinstance(s, tuple):
        if max_size is not None:
            raise ValueError("max_size: only allowed when size is an int (the shorter side)")
        return s
    short, long = (height, width) if height <= width else (width, height)
    new_short, new_long = s, int(s * long / short)
    if max_size is not None:
        m = _int(max_size, "max_size")
        if m <= s:
            raise ValueError(f"max_size: must be greater than size ({s}), got {m}")
        if new_long > m:
            new_short, new_long = int(m * new_short / new_long), m
            if new_short < 1:
                least = max(_smallest_max_size(s, int(s * long / short)), s + 1)
                raise ValueError(
                    f"max_size: {m} makes the shorter side of a ({height}, {width}) image 0 "
                    f"(size={s}); expected max_size >= {least} for this image, or None"
                )
    if new_long > MAX_SIDE:
        raise ValueError(
            f"size: {s} makes the longer side of a ({_brief(height)}, {_brief(width)}) image "
            f"{_brief(new_long)}, more than the {MAX_SIDE} per side pixnorm resizes to; give "
            "max_size, or size=(h, w)"
        )
    return (new_short, new_long) if height <= width else (new_long, new_short)


def _color_kw(color: str | None, scale: float = 0.0) -> dict[str, Any]:
    """``color=`` for the core's calls only when given: pybind11 parses keyword arguments
    (about 1 us a call) only when there are some. ``scale``: the scale a second pass applies
    (per-pixel mean/std), which places float32 input's chroma offset."""
    if color is None:
        return {}
    return {"color": color, "color_scale": scale} if scale else {"color": color}


FILTERS = (
    "bilinear",
    "bicubic",
    "lanczos",
    "box",
    "hamming",
    "nearest",
    "nearest-exact",
    "area",
)
_NAMES = "'bilinear', 'bicubic', 'lanczos', 'box', 'hamming', 'nearest', 'nearest-exact' or 'area'"
# PIL's filter codes (Image.Resampling's values, the ints torchvision also accepts)
PIL_FILTERS = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


def interpolation_name(value: Any) -> str:
    """``interpolation=`` as a filter name (one of ``FILTERS``), from that name, torchvision's
    ``InterpolationMode`` or PIL's ``Image.Resampling`` member."""
    if type(value) is str and value in FILTERS:  # the common case first
        return value
    name: Any = value
    if type(value).__name__ == "InterpolationMode":  # torchvision's enum: its value is the name
        name = value.value
    elif type(value).__name__ == "Resampling" and isinstance(value, int):  # PIL.Image.Resampling
        name = PIL_FILTERS[int(value)]
    if not isinstance(name, str):
        raise TypeError(
            f"interpolation: expected a name ({_NAMES}), torchvision's InterpolationMode or "
            f"PIL's Image.Resampling, got {type(value).__name__} (plain ints are ambiguous: "
            "PIL.Image.BICUBIC is 3, cv2.INTER_CUBIC is 2; write 'bicubic' or "
            "Image.Resampling.BICUBIC)"
        )
    if name not in FILTERS:
        near = str(name).lower().replace("_", "-")
        why = "? the names are lower case" if near == str(name).lower() else "?"
        hint = f" (did you mean {near!r}{why})" if near in FILTERS else ""
        raise ValueError(f"interpolation: {name!r} is not a filter; expected {_NAMES}{hint}")
    return str(name)  # (a numpy str_ too: stored and compared as a plain str)


CONVENTIONS = ("pillow", "torch", "opencv")
_CONVENTION_ALIASES = {"pil": "pillow", "cv2": "opencv", "cv": "opencv", "torchvision": "torch",
                       "pytorch": "torch", "tv": "torch"}  # fmt: skip


def convention_hint(name: str) -> str | None:
    """The convention a misspelt name most likely means (another case, or a library's other
    name: 'PIL', 'cv2', 'torchvision'), else None."""
    low = name.lower()
    return low if low in CONVENTIONS else _CONVENTION_ALIASES.get(low)


def _check_convention(
    convention: Any, antialias: Any, interpolation: Any = "bilinear"
) -> tuple[bool, str | None, dict[str, Any]]:
    """The checked antialias and convention, and the keyword arguments that give the core the
    filter (none for bilinear: pybind11 parses keyword arguments only when there are some)."""
    if not isinstance(antialias, bool | np.bool_):
        raise TypeError(f"antialias: expected a bool, got {type(antialias).__name__}")
    if convention is not None and not isinstance(convention, str):
        raise TypeError(f"convention: expected None or a name, got {type(convention).__name__}")
    name = interpolation_name(interpolation)
    if convention is not None and convention not in CONVENTIONS:
        hint = convention_hint(convention)
        if hint:
            raise ValueError(
                f"convention: {convention!r} is not available; expected None (pixnorm's own "
                f"arithmetic), 'pillow', 'torch' or 'opencv' (did you mean {hint!r}?)"
            )
    _core.check_convention(convention, bool(antialias), name)  # its names and rules: the core's
    return bool(antialias), convention, ({} if name == "bilinear" else {"interpolation": name})


def _hw(arr: np.ndarray[Any, Any], name: str) -> tuple[int, int]:
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name}: expected one image of shape (H, W) or (H, W, C), got shape {arr.shape}"
        )
    return int(arr.shape[0]), int(arr.shape[1])


def resize(
    image: npt.ArrayLike,
    size: Size | None = None,
    *,
    factor: Factor | None = None,
    rounding: str | None = None,
    exact_factor: bool = True,
    antialias: bool = True,
    convention: str | None = None,
    max_size: int | None = None,
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    color: str | None = None,
    interpolation: Any = "bilinear",
) -> Any:
    """Resize an H x W x C image (or an (N, H, W, C) batch, or (H, W) gray), bilinear by
    default.

    Parameters
    ----------
    image : array_like
        uint8 -> uint8 or float32 -> float32; (H, W), (H, W, C) or (N, H, W, C); any strides;
        C >= 1. A torch tensor is read as (C, H, W) / (N, C, H, W) (a transposed view) and the
        result is a torch tensor laid out the same way (unless ``out`` is given).
    size : int, (int, int) or None
        An int resizes the shorter side to ``size`` and the longer to
        ``int(size * long / short)`` (torchvision's rule, truncation), capped by ``max_size``;
        a pair is the output (h, w); None (with ``max_size``) resizes the longer side to
        ``max_size`` (torchvision v2), see :func:`resized_size`.
    factor : float or (float, float), optional
        Instead of ``size``: scale by this factor (or (fy, fx)). The output sides are
        ``side * factor`` rounded by ``rounding`` (see :func:`resized_size`; default: the
        convention's rule), and the sampling grid follows the factor, not the rounded sizes:
        source centre ``(i + 0.5) / factor``, as ``torch.nn.functional.interpolate(
        scale_factor=f)`` (None and 'torch', both antialias settings) and ``cv2.resize(
        dsize=(0, 0), fx=f, fy=f)`` ('opencv', rounding 'round' only) map it, bit for bit. A
        side whose size does not change is copied (torch skips it; OpenCV copies an image
        whose size does not change). 'pillow' resizes to the rounded size as
        ``ImageOps.scale`` does (its grid follows the sizes).
    rounding : {'floor', 'round', 'ceil'} or None
        How ``side * factor`` becomes a size (round: to nearest, ties to even).
    exact_factor : bool, default True
        False: the grid follows the rounded sizes (torch's ``recompute_scale_factor=True``).
    antialias : bool
        True (default): Pillow's BILINEAR, a triangle filter whose support widens by the
        downscale factor, weights normalized per output pixel (torchvision's default).
        False: plain bilinear with half-pixel centres, ``src = (dst + 0.5) * in / out - 0.5``,
        neighbours clamped at the edges (OpenCV INTER_LINEAR, torch ``align_corners=False``).
        pixnorm never switches filters behind your back (OpenCV uses INTER_AREA for some exact
        2x downscales); upscaling is the same with either setting. Other filters: see
        ``interpolation``.
    interpolation : str, torchvision InterpolationMode or PIL Image.Resampling
        The filter, each as Pillow defines it (``Image.resize``'s ``resample``): 'bilinear'
        (default), 'bicubic' (Keys' cubic, a = -0.5; Pillow's BICUBIC and torchvision's
        antialiased bicubic), 'lanczos' (3 lobes), 'box', 'hamming'. With ``antialias`` the
        support widens by the downscale factor (Pillow's, torch's antialias); without it
        (convention None only) the unscaled filter around ``src = (dst + 0.5) * in / out -
        0.5`` with samples past the edges taken from the edge, weights divided by their sum.
        'pillow' has all five bit for bit; 'torch' has 'bicubic' with and without antialias
        (its uint8 kernels, bit for bit); 'opencv' 'bilinear', 'nearest', 'area', 'bicubic'
        (``INTER_CUBIC`` as the wheels compute it: Intel IPP's resize for 1, 3, 4 channels
        and sides >= 4, OpenCV's own code for 2 channels and smaller sources) and 'lanczos'
        (``INTER_LANCZOS4``: OpenCV's 4-lobe, 8-tap filter), both with antialias=False, bit for
        bit. Bicubic and lanczos overshoot: uint8 results are
        clamped to 0..255, float results are not. 'nearest' and 'nearest-exact' copy one
        sample per output,
        ``floor(i * in / out)`` and ``floor((i + 0.5) * in / out)`` (exactly; with
        ``factor``, ``i / factor`` in float64), antialias not applying;
        'pillow' (NEAREST, RGBA included), 'torch' (mode='nearest') and 'opencv'
        (INTER_NEAREST) reproduce their library's nearest bit for bit, each with its own
        index arithmetic; 'nearest-exact' in None, 'torch' (its two kernels) and 'opencv'
        (``INTER_NEAREST_EXACT``, OpenCV 5's running sum of ``in / out``, Pillow's). Float
        values are copied
        (a negative zero becomes +0, a signalling NaN quiet). 'area' integrates the source
        as constant over each pixel: output ``i`` averages ``[i * s, (i + 1) * s)`` (``s = in /
        out`` or ``1 / factor``), each pixel weighted by its overlap, up- and downscaling,
        antialias not applying (convention None); 'opencv' reproduces ``cv2.resize(
        INTER_AREA)`` bit for bit (its whole-ratio cells, its float32 table, and its linear
        path when an axis is upscaled).
    convention : {None, 'pillow', 'torch', 'opencv'}
        None: pixnorm's arithmetic (float64 weights rounded to float32, float32 sums, uint8
        results rounded to nearest, ties to even): uint8 within 1 level and float32 within 1e-4
        of the exact float64 result; identical on every ISA.
        'pillow': Pillow's ``Image.resize(BILINEAR)`` bit for bit (antialias only): 22-bit
        fixed-point weights, a uint8 image between the passes, and Pillow 13's pass order
        (vertical first when the height shrinks more than twice as much as the width).
        'torch': torch's uint8 ``interpolate(mode="bilinear", align_corners=False)`` bit for
        bit, both antialias settings (what torchvision v2 does to uint8 tensors): int16 weights
        with torch's adaptive precision, horizontal then vertical, uint8 in between.
        'opencv': ``cv2.resize(INTER_LINEAR)`` bit for bit (antialias=False only): float32
        source coordinates, 11-bit weights, an exact int32 horizontal pass, OpenCV's vertical
        rounding, and its switch to a 2x2 mean (INTER_AREA) when both axes are exactly halved;
        1 to 4 channels. Named conventions need uint8 input ('opencv' also uint16).
    max_size : int, optional
        Upper bound for the longer side when ``size`` is an int; its size when ``size`` is None.
    out : numpy.ndarray, optional
        C-contiguous output of the input's dtype and the output shape.
    channels_last : bool, default False
        More than 4 values in the last axis of an array are refused unless this says they are
        channels (see :func:`normalize`).
    """
    aa, conv, ikw = _check_convention(convention, antialias, interpolation)
    arr, tensor = _image(image, "image", channels_last)
    if arr.ndim == 4:
        h, w = int(arr.shape[1]), int(arr.shape[2])
    elif arr.ndim in (2, 3):
        h, w = int(arr.shape[0]), int(arr.shape[1])
    else:
        h = w = 1  # the core reports the bad shape
    fac = None
    if factor is not None or rounding is not None or exact_factor is not True:
        fac = _resolve_factor(factor, rounding, exact_factor, conv, size, max_size)
    fy = fx = 0.0
    if h < 1 or w < 1:
        oh, ow = 1, 1  # the core reports the empty image
    elif fac is not None:
        oh, ow, fy, fx = _factor_size(h, w, fac, "image")
    else:
        oh, ow = resized_size(h, w, size, max_size)
    result: np.ndarray[Any, Any] = (
        _core.resize(arr, oh, ow, aa, conv, out, fy, fx, color, **ikw)
        if fy or fx
        else _core.resize(arr, oh, ow, aa, conv, out, **_color_kw(color), **ikw)
    )
    if tensor and out is None:  # a tensor in, a tensor out, laid out as it came: (N,) C, H, W
        import torch

        t = torch.from_numpy(result)
        return t.permute(2, 0, 1) if t.ndim == 3 else t.permute(0, 3, 1, 2) if t.ndim == 4 else t
    return result


def _geometry(
    arr: np.ndarray[Any, Any],
    name: str,
    size: Size | None,
    crop: Size | None,
    box: Box | None,
    flip: Any,
    max_size: int | None,
    box_name: str,
    flip_name: str = "flip",
    fac: _Factor | None = None,
) -> tuple[Geometry, tuple[int, int]]:
    h, w = _hw(arr, name)
    if arr.size == 0:
        raise ValueError(
            f"{name}: zero-size image, shape {arr.shape}; expected at least 1 x 1 pixel and "
            "1 channel"
        )
    if box is None:
        bt, bl, bh, bw = 0, 0, h, w
    else:
        box = _seq(box)
        if isinstance(box, str | bytes) or not isinstance(box, Sequence | np.ndarray):
            raise TypeError(
                f"{box_name}: expected (top, left, height, width), got {type(box).__name__}"
            )
        items = list(box)
        if len(items) != 4:
            raise ValueError(
                f"{box_name}: expected (top, left, height, width), got {len(items)} values"
            )
        bt, bl, bh, bw = (_int(v, box_name) for v in items)
        if not all(-(2**63) <= v < 2**63 for v in (bt, bl, bh, bw)):  # beyond the core's int64
            raise ValueError(
                f"{box_name}: ({bt}, {bl}, {bh}, {bw}) is empty or outside the image of size "
                f"({h}, {w})"
            )
        _core.check_box(bt, bl, bh, bw, h, w, box_name)  # the core owns the box's rules
    fy = fx = 0.0
    if fac is not None:
        rh, rw, fy, fx = _factor_size(bh, bw, fac, "box" if box is not None else "image")
    elif size is None and max_size is None:
        rh, rw = bh, bw
    else:
        rh, rw = resized_size(bh, bw, size, max_size)
    if crop is None:
        ch, cw = rh, rw
    else:
        c = _pair(crop, "crop")
        ch, cw = c if isinstance(c, tuple) else (c, c)
        _core.check_crop(ch, cw, rh, rw)  # the core's rule, before any caller allocates
    top = int(round((rh - ch) / 2.0))  # torchvision CenterCrop: Python round, ties to even
    left = int(round((rw - cw) / 2.0))
    h_flip, v_flip = _flip_axes(flip, flip_name)
    return Geometry(bt, bl, bh, bw, rh, rw, top, left, h_flip, v_flip, fy, fx), (ch, cw)


FLIPS = {"horizontal": (1, 0), "vertical": (0, 1), "both": (1, 1)}


def _flip_axes(flip: Any, name: str) -> tuple[int, int]:
    """(horizontal, vertical) from a flip argument: a bool (True: horizontal, as torchvision's
    RandomHorizontalFlip), or "horizontal", "vertical", "both"."""
    if isinstance(flip, bool | np.bool_):
        return (1, 0) if flip else (0, 0)
    if isinstance(flip, str):
        axes = FLIPS.get(flip)
        if axes is None:
            raise ValueError(
                f"{name}: expected a bool or one of 'horizontal', 'vertical', 'both', got {flip!r}"
            )
        return axes
    raise TypeError(
        f"{name}: expected a bool or 'horizontal', 'vertical', 'both', got {type(flip).__name__}"
    )


class _Format(NamedTuple):
    """The output's type and layout by name (_out_dtype, _layout) and ``out`` as the core takes
    it (bfloat16 as its uint16 bits)."""

    dtype: str
    layout: str
    out: Any

    def kw(self) -> dict[str, Any]:
        """The core's keywords, only when not the defaults (pybind11 parses keywords, about
        1 us a call, only when there are some)."""
        if self.dtype == "float32" and self.layout == "CHW":
            return {}
        return {"dtype": self.dtype, "layout": self.layout}

    def shape(self, n: int | None, c: int, h: int, w: int) -> tuple[int, ...]:
        one = (c, h, w) if self.layout == "CHW" else (h, w, c)
        return one if n is None else (n, *one)

    def empty(self, shape: tuple[int, ...]) -> np.ndarray[Any, Any]:
        kinds = {"float32": np.float32, "float16": np.float16, "bfloat16": np.uint16}
        dt = np.dtype(kinds.get(self.dtype, np.uint8))
        try:  # 64-byte aligned, as the core's own outputs (whole-vector stores)
            nbytes = math.prod(shape) * dt.itemsize
            raw = np.empty(nbytes + 64, np.uint8)
            at = -raw.ctypes.data % 64
            return raw[at : at + nbytes].view(dt).reshape(shape)
        except (MemoryError, ValueError):
            raise MemoryError(
                f"size: a {self.dtype} output of shape {shape} cannot be allocated; expected a "
                "smaller size or batch"
            ) from None


def _format(dtype: Any, layout: Any, out: Any) -> _Format:
    if dtype is None and type(layout) is str and layout == "CHW":  # the default, kept cheap
        return _Format("float32", "CHW", out)
    dt, lay = _out_dtype(dtype), _layout(layout)
    if dt == "bfloat16" and out is None:
        _bfloat16()  # the error before the work
    return _Format(dt, lay, _out_bits(out, dt))


def _uint8_scale(fmt: _Format, scale: Any, norm: Normalizer | None, mean: Any, std: Any) -> Any:
    """uint8 output is the resized image itself: the scale defaults to 1 (the core refuses any
    other scale, mean or std); per-pixel values and a Normalizer are refused here."""
    if fmt.dtype != "uint8":
        return scale
    if norm is not None or _is_per_pixel(mean, std):
        raise ValueError(UINT8_RULE)
    return 1.0 if scale is None else scale


def _per_pixel_finish(
    values: np.ndarray[Any, Any],
    mean: Any,
    std: Any,
    scale: float,
    out: np.ndarray[Any, Any] | None,
    norm: Normalizer | None = None,
    fmt: _Format | None = None,
) -> np.ndarray[Any, Any]:
    """Per-pixel mean/std: `values` are the resampled levels, (C, h, w) or (N, C, h, w); the
    per-element affine of :func:`normalize` is applied in a second pass into `out` (with the
    Normalizer's cached coefficients when there is one), written in `fmt`."""
    hwc = np.moveaxis(values, -3, -1)  # a view: (h, w, C) or (N, h, w, C)
    if norm is not None:
        a, b = norm._coefficients(hwc, scale)
    else:
        a, b = _pixel_affine(hwc, mean, std, scale)
    kw = {} if fmt is None else fmt.kw()
    result: np.ndarray[Any, Any] = _core.normalize_pixel(hwc, a, b, out, **kw)
    return result


def _pixel_kw(
    norm: Normalizer | None,
    mean: Any,
    std: Any,
    scale: float,
    channels: int,
    height: int,
    width: int,
) -> dict[str, Any]:
    """Per-pixel mean/std fused into the core's preprocess: ``pixel_a``/``pixel_b`` for output
    images of (channels, height, width) (the Normalizer's cached coefficients when there is
    one). The pass computes each value with mean 0, std 1 and scale 1, then
    float32(float32(v * a) + b) while its row is in L1: the bits of :func:`normalize`'s
    per-pixel pass over those values, without that second pass."""
    shape_only = np.broadcast_to(np.float32(0), (height, width, channels))  # (its shape is read)
    if norm is not None:
        a, b = norm._coefficients(shape_only, scale)
    else:
        a, b = _pixel_affine(shape_only, mean, std, scale)
    return {"pixel_a": a, "pixel_b": b}


def _pixel_channels(arrs: list[Any], color: str | None, conv: str | None) -> int | None:
    """The output channels per-pixel coefficients are built for; None when the images' counts
    disagree: the core's call then refuses the batch with its own message (images[i] named),
    not a mean/std shape error."""
    counts = {
        _core.color_channels(color, int(a.shape[2]) if a.ndim == 3 else 1, conv) for a in arrs
    }
    return counts.pop() if len(counts) == 1 else None


def _mixed_channels() -> ValueError:  # (the core refuses such a batch first)
    return ValueError("images: the images' channel counts differ")


FITS = ("cover", "contain")


class FitParams(NamedTuple):
    """Where a source point lands in the output of ``preprocess(..., fit=...)``, to map boxes
    and keypoints: ``out_y = y * scale_y + offset_y`` and ``out_x = x * scale_x + offset_x`` in
    continuous pixel coordinates (pixel edges at integers, the source's top-left corner at 0,
    the whole image, not the box); ``(top, left, height, width)`` is the image's window in the
    output (the content of a letterbox; the whole output for "cover")."""

    scale_y: float
    scale_x: float
    offset_y: float
    offset_x: float
    top: int
    left: int
    height: int
    width: int


class _Fit(NamedTuple):
    """One image's fit: the resized size, the grid's factors (0: by the sizes), the crop
    window's top-left inside it ("cover"), the window's top-left in the output ("contain")."""

    rh: int
    rw: int
    fy: float
    fx: float
    crop_top: int
    crop_left: int
    pad_top: int
    pad_left: int


def _check_fit_options(fit: Any, fill: Any, return_params: Any, angle: bool = False) -> None:
    """``return_params`` a bool; it only with a fit, ``fill`` only with fit="contain" or an
    ``angle`` (``angle``: one was given)."""
    if not isinstance(return_params, bool | np.bool_):
        raise TypeError(f"return_params: expected a bool, got {_brief(return_params)}")
    if return_params and fit is None:
        raise ValueError("return_params: only with fit (the other geometries are given)")
    if fill is not None and fit != "contain" and not angle:
        raise ValueError(
            "fill: only with fit='contain' (the letterbox's border) or an angle (the corners)"
        )


def _check_angle(
    angle: Any, name: str, fit: Any, conv: str | None, color: Any, ikw: dict[str, Any],
    mean: Any, std: Any,
) -> float:  # fmt: skip
    """``angle`` (preprocess's, or one of preprocess_batch's ``angles``) as a finite float, and
    the options it does not combine with, each a ValueError naming its argument."""
    if not isinstance(angle, numbers.Real) or isinstance(angle, bool | np.bool_):
        raise TypeError(f"{name}: expected a real number (degrees), got {_brief(angle)}")
    try:
        value = float(angle)
    except OverflowError:  # an int beyond float64
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number of degrees, got {value}")
    if fit is not None:
        raise ValueError(f"{name}: not with fit (a rotated box has no letterbox geometry)")
    if conv is not None:
        raise ValueError(
            f"convention: {name} is only in the default convention (None): no library rotates "
            "about the box before resizing; for torchvision's order (RandomResizedCrop, then "
            "RandomRotation of the resized image) use pixnorm.transforms or Collate(warp=...)"
        )
    if color is not None:
        raise ValueError(f"color: not with {name} (convert the colour before or after)")
    interp = ikw.get("interpolation", "bilinear")
    if interp not in ("bilinear", "nearest"):
        raise ValueError(f"interpolation: {name} samples 'bilinear' or 'nearest', got {interp!r}")
    if _is_per_pixel(mean, std):
        raise ValueError(
            f"mean / std: {name} takes per-channel values (a value or one per channel); a "
            "per-pixel mean image is for preprocess without an angle and normalize"
        )
    return value


def _check_fit(fit: Any, size: Any, crop: Any, factor: Any, max_size: Any) -> tuple[int, int]:
    if not isinstance(fit, str) or fit not in FITS:
        raise ValueError(f"fit: expected None, 'cover' or 'contain', got {_brief(fit)}")
    for name, value in (("crop", crop), ("factor", factor), ("max_size", max_size)):
        if value is not None:
            raise ValueError(f"{name}: not with fit (fit={fit!r} decides the size and the crop)")
    if size is None:
        raise ValueError(f"size: fit={fit!r} needs the output size, (h, w) or an int")
    s = _pair(size, "size")
    return s if isinstance(s, tuple) else (s, s)


def _fit(h: int, w: int, out: tuple[int, int], fit: str, conv: str | None, name: str) -> _Fit:
    """OpenCV DNN's geometry (cv2.dnn.blobFromImageWithParams), in every convention: the factor
    of each axis in float32, the larger ("cover", DNN_PMODE_CROP_CENTER: cv2.resize(fx=fy=f),
    sizes rounded to nearest, then the centre with truncated offsets) or the smaller ("contain",
    DNN_PMODE_LETTERBOX: the sizes int(float32(side) * f), resized to them, centred, the odd
    pixel of padding at the bottom / right)."""
    H, W = out
    ry = np.float32(H) / np.float32(h)
    rx = np.float32(W) / np.float32(w)
    if fit == "cover":
        f = float(max(ry, rx))
        rh, rw = round(h * f), round(w * f)  # cvRound of the double product
        grid = 0.0 if conv == "pillow" else f
        top, left = int(0.5 * (rh - H)), int(0.5 * (rw - W))
        return _Fit(rh, rw, grid, grid, top, left, 0, 0)
    f32 = min(ry, rx)
    rh, rw = int(np.float32(h) * f32), int(np.float32(w) * f32)
    if rh < 1 or rw < 1:
        raise ValueError(
            f"{name}: fit='contain' scales its ({h}, {w}) pixels by {float(f32):g} to "
            f"({rh}, {rw}); expected at least 1 x 1 (a very elongated image or a tiny size)"
        )
    return _Fit(rh, rw, 0.0, 0.0, 0, 0, (H - rh) // 2, (W - rw) // 2)


def _fill_values(fill: Any, arr: np.ndarray[Any, Any], channels: int | None = None) -> list[float]:
    """``fill`` as one value per channel (``channels``, else the image's) in the image's units:
    for uint8 and uint16 images saturated to the type's range and rounded half to even, as
    OpenCV's borderValue."""
    c = channels if channels is not None else int(arr.shape[2]) if arr.ndim == 3 else 1
    if fill is None:
        fill = 0.0
    quick = _quick_fill(fill, arr, c)
    if quick is not None:
        return quick
    items = (
        list(fill)
        if isinstance(fill, Sequence | np.ndarray) and not isinstance(fill, str)
        else [fill]
    )
    for x in items:
        if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real):
            raise TypeError(f"fill: expected a number or one per channel, got {_brief(fill)}")
    v = np.asarray(_values(fill, "fill"), dtype=np.float64).reshape(-1)
    if v.size not in (1, c) or not np.isfinite(v).all():
        raise ValueError(
            f"fill: expected a finite number or {c} (one per channel), got {_brief(fill)}"
        )
    v = np.broadcast_to(v, (c,))
    if arr.dtype in (np.uint8, np.uint16):
        v = np.clip(np.rint(v), 0, 255 if arr.dtype == np.uint8 else 65535)
    return [float(x) for x in v]


def _quick_fill(fill: Any, arr: np.ndarray[Any, Any], c: int) -> list[float] | None:
    """_fill_values for a plain number or a list / tuple of 1 or c finite Python numbers (a
    warp per image in a loader: numpy's clip and rint cost tens of microseconds), else None
    (the general path, which also words the errors)."""
    items = list(fill) if isinstance(fill, list | tuple) else [fill]
    if len(items) not in (1, c):
        return None
    for x in items:
        if type(x) not in (int, float) or not (-1e300 < x < 1e300):  # (finite; no huge int)
            return None
    if arr.dtype == np.uint8 or arr.dtype == np.uint16:
        items = _levels_of(items, 255 if arr.dtype == np.uint8 else 65535)
    values = [float(x) for x in items]
    return values * c if len(values) == 1 else values


def _levels_of(items: list[Any], top: int) -> list[float]:
    """Finite numbers as ``np.clip(np.rint(x), 0, top)`` gives them, without numpy (tens of
    microseconds per warp in a loader): round is half to even, as rint; -0.5 .. -0.0 give -0.0,
    as rint and clip keep it."""
    return [
        -0.0 if round(x) == 0 and math.copysign(1.0, x) < 0 else float(min(max(round(x), 0), top))
        for x in items
    ]


def _fit_params(g: Geometry, fitted: _Fit, out: tuple[int, int], fit: str) -> FitParams:
    if fit == "cover":
        sy = fitted.fy if fitted.fy else fitted.rh / g.box_height
        sx = fitted.fx if fitted.fx else fitted.rw / g.box_width
        oy = -g.box_top * sy - fitted.crop_top
        ox = -g.box_left * sx - fitted.crop_left
        top, left, height, width = 0, 0, out[0], out[1]
    else:
        sy, sx = fitted.rh / g.box_height, fitted.rw / g.box_width
        oy = -g.box_top * sy + fitted.pad_top
        ox = -g.box_left * sx + fitted.pad_left
        top, left, height, width = fitted.pad_top, fitted.pad_left, fitted.rh, fitted.rw
    # a flip mirrors the image inside its window: x -> 2 * left + width - x
    if g.vflip:
        sy, oy = -sy, 2 * top + height - oy
    if g.flip:
        sx, ox = -sx, 2 * left + width - ox
    return FitParams(sy, sx, oy, ox, top, left, height, width)


def _preprocess_fit(
    arrs: list[np.ndarray[Any, Any]],
    geoms: list[Geometry],
    fit: str,
    out_hw: tuple[int, int],
    conv: str | None,
    aa: bool,
    mean: Any,
    std: Any,
    s: float,
    norm: Normalizer | None,
    fill: Any,
    out: np.ndarray[Any, Any] | None,
    batch: bool,
    color: str | None,
    fmt: _Format,
    ikw: dict[str, Any],
) -> tuple[np.ndarray[Any, Any], list[FitParams]]:
    """preprocess / preprocess_batch with ``fit``: ``geoms`` carry the boxes and flips; each
    image's fit fills in its sizes, grid and windows. "cover" is one call for the batch;
    "contain" one call per image (their windows differ), each writing into its own plane of the
    output with the border set to the fill value normalized as the image is."""
    H, W = out_hw
    c = int(arrs[0].shape[2]) if arrs[0].ndim == 3 else 1
    if fit == "contain":  # one core call per image: the core's batch rules, checked here
        # (a colour brings every image it accepts to one channel count: the core checks each)
        for i, arr in enumerate(arrs):
            if arr.dtype != arrs[0].dtype:
                raise TypeError(
                    f"images[{i}]: all images must share one dtype (uint8, uint16 or float32)"
                )
            ci = int(arr.shape[2]) if arr.ndim == 3 else 1
            if ci != c and color is None:
                raise ValueError(
                    f"images[{i}]: has {ci} channel{'' if ci == 1 else 's'}, the first image "
                    f"has {c} (color='rgb' makes gray, RGB and RGBA images one 3-channel batch)"
                )
    fitted = []
    for i, g in enumerate(geoms):
        name = f"images[{i}]" if batch else "image"
        f = _fit(g.box_height, g.box_width, out_hw, fit, conv, name)
        fitted.append(f)
        geoms[i] = g._replace(
            resized_height=f.rh,
            resized_width=f.rw,
            crop_top=f.crop_top,
            crop_left=f.crop_left,
            factor_y=f.fy,
            factor_x=f.fx,
        )
    params = [_fit_params(g, f, out_hw, fit) for g, f in zip(geoms, fitted, strict=True)]
    per_pixel = _is_per_pixel(mean, std)
    # per pixel: the raw values first (mean 0, std 1, scale 1), then the per-element affine:
    # inside the pass for "cover", in a second pass for "contain" (its border too)
    cm, cs, cscale = (0.0, 1.0, 1.0) if per_pixel else (mean, std, s)
    cscale_color = s if per_pixel else 0.0  # where float chroma offsets go (0: cscale)
    # per pixel ("contain"): float32 CHW values first, the output's format in the second pass
    first_kw = {} if per_pixel else fmt.kw()
    if fit == "cover":
        pixel = {}
        c_out = _pixel_channels(arrs, color, conv) if per_pixel else None
        if c_out is not None:
            pixel = _pixel_kw(norm, mean, std, s, c_out, H, W)
        values = _core.preprocess(
            arrs,
            geoms,
            H,
            W,
            aa,
            conv,
            cm,
            cs,
            cscale,
            out,
            batch,
            **_color_kw(color, cscale_color),
            **fmt.kw(),
            **ikw,
            **pixel,
        )
        if per_pixel and not pixel:
            raise _mixed_channels()
        return values, params
    else:
        # With a colour the fill is in the output's colour and channels (one gray value, or
        # Y, Cb, Cr...): images of any channel count share it. Its output value: a 1x1 image of
        # it through the same arithmetic (without the colour step).
        c_fill = c if color is None else _core.color_channels(color, c, conv)
        fill_raw = _fill_values(fill, arrs[0], c_fill)
        # (uint16: 2 x 2 to 1 x 1, which every convention maps to the value itself: OpenCV's
        # 16-bit resize needs sides > 1)
        side = 2 if arrs[0].dtype == np.uint16 else 1
        one = np.empty((side, side, c_fill), arrs[0].dtype)
        one[...] = np.array(fill_raw).reshape(1, 1, c_fill)
        one_geom = Geometry(0, 0, side, side, 1, 1, 0, 0, 0, 0)
        # (the call's filter, whose antialias rules are the same)
        fill_out = _core.preprocess(
            [one], [one_geom], 1, 1, aa, conv, cm, cs, cscale, None, False, **ikw
        )
        fill_vals = [float(v) for v in fill_out.reshape(-1)]
        c = len(fill_vals)  # the output's channels (a colour changes them)
        n = len(arrs) if batch else None
        shape = fmt.shape(n, c, H, W)
        if out is not None:  # the core's rules, before any work
            _core.check_out(out, list(shape), list(arrs), fmt.dtype)
        if per_pixel:
            values = np.empty((len(arrs), c, H, W) if batch else (c, H, W), np.float32)
        else:
            values = fmt.empty(shape) if out is None else out
        planes = values if batch else values[None]
        for i, (arr, g, f) in enumerate(zip(arrs, geoms, fitted, strict=True)):
            _core.preprocess(
                [arr], [g], f.rh, f.rw, aa, conv, cm, cs, cscale, planes[i], False,
                0.0, H, W, f.pad_top, f.pad_left, fill_vals, color, False, cscale_color,
                **first_kw, **ikw,
            )  # fmt: skip
    if per_pixel:
        values = _per_pixel_finish(values, mean, std, s, out, norm, fmt)
    return values, params


def preprocess(
    image: npt.ArrayLike,
    *,
    size: Size | None = None,
    crop: Size | None = None,
    box: Box | None = None,
    flip: bool | str = False,
    antialias: bool = True,
    convention: str | None = None,
    mean: Any = 0.0,
    std: Any = None,
    scale: float | None = None,
    max_size: int | None = None,
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    factor: Factor | None = None,
    rounding: str | None = None,
    exact_factor: bool = True,
    fit: str | None = None,
    fill: Any = None,
    return_params: bool = False,
    color: str | None = None,
    dtype: Any = None,
    layout: str = "CHW",
    interpolation: Any = "bilinear",
    angle: float | None = None,
) -> Any:
    """Resize, crop, flip and normalize an H x W x C image into a C x h x w tensor (float32, or
    ``dtype``/``layout`` below), in one pass over memory.

    Evaluation style: ``size`` then a centre ``crop`` (torchvision's ``Resize(size),
    CenterCrop(crop), ToTensor(), Normalize(mean, std)``; the crop offsets are
    ``int(round((resized - crop) / 2))`` with Python's rounding, as torchvision). Training
    style: ``box=(top, left, height, width)`` in source pixels (RandomResizedCrop's parameters)
    is cut out and resized to ``size``, then ``flip=True`` (or ``"horizontal"``) mirrors it
    horizontally, ``"vertical"`` upside down, ``"both"`` both ways (torchvision's
    ``horizontal_flip`` / ``vertical_flip`` after the crop, bit for bit; free inside the pass).
    The box is treated as the image: the filter never reads outside it, as when cropping first.

    Resizing follows :func:`resize` (``antialias``, ``convention``, ``max_size``, and
    ``factor``/``rounding``/``exact_factor`` instead of ``size``: the box scaled by the
    factor). With
    ``convention=None`` the filtered values are not rounded to uint8 before normalizing (within
    half a uint8 level of the step-by-step chain, and closer to the exact result), then
    ``(v * scale - mean[c]) / std[c]`` as in :func:`normalize`. With ``'pillow'`` or ``'torch'``
    the result is bitwise identical to torchvision v2's chain on that library's uint8 resize:
    the exact uint8 image, cropped and flipped, then ``float32(x) * float32(scale)`` and
    ``(v - float32(mean)) / float32(std)``, each step rounded in float32.
    ``out`` takes a C-contiguous float32 (C, h, w) array. ``image`` is read as in :func:`normalize`
    (torch tensors channels first; ``channels_last=True`` for arrays of more than 4 channels).

    ``mean`` may be a :class:`pixnorm.Normalizer` (then leave ``std`` and ``scale`` out; its
    per-pixel coefficients are computed once). ``std`` left out is 1.0.
    ``mean``/``std`` may also be per-pixel arrays of the output size, (h, w, C) or (C, h, w)
    (Caffe-style mean images, e.g. ``RunningStats(per_pixel=True, size=(h, w)).mean_image``):
    then the resampled values (the exact uint8 levels with a named convention) get
    :func:`normalize`'s per-element arithmetic, ``float32(v) * a + b`` with
    ``a = float32(scale / std)``, ``b = float32(-mean / std)``, in a second pass over the output.

    ``fit`` (with ``size`` = the output (h, w), or an int for a square; not with ``crop``,
    ``factor`` or ``max_size``) follows OpenCV DNN's geometry (``cv2.dnn.blobFromImageWithParams``)
    in every convention: ``"cover"`` scales the image (or the box) by the larger of the two
    ratios, each computed in float32, as ``cv2.resize(fx=f, fy=f)`` (sizes rounded to nearest,
    the grid following f), then cuts the centre with truncated offsets (``crop=True`` /
    DNN_PMODE_CROP_CENTER); ``"contain"`` (a letterbox, DNN_PMODE_LETTERBOX) scales by the
    smaller ratio to ``int(float32(side) * f)`` pixels (the grid following those sizes), centred,
    the odd pixel of padding at the bottom / right, the rest ``fill`` (a value or one per
    channel, in the image's units: for uint8 and uint16 saturated to their range and rounded
    half to even, as OpenCV's borderValue; with ``color``, one per output channel, in the
    output's colour),
    normalized as the image is. With ``convention="opencv"``
    (``antialias=False``) the uint8 geometry and levels are OpenCV's bit for bit; OpenCV then
    computes ``(x - mean) * scalefactor`` where pixnorm computes ``(x * scale - mean) / std``, so
    the floats agree within float32 rounding (bitwise with mean 0 and scale 1).
    A flip mirrors the image inside its window (with "contain" the padding stays where it was:
    the odd pixel at the bottom / right). ``return_params=True`` returns ``(tensor,
    FitParams)``: where source coordinates land in the output (to map boxes back; a flipped axis
    has a negative scale), and the image's window in it.

    ``angle`` (degrees, counter-clockwise; default convention only) turns the source about the
    box's centre (the centre of what the output shows) before the box is resized: the corners
    show the image around the box, ``fill`` (a value or one per channel, in the image's units,
    default 0) where that runs out. One pass for RandomResizedCrop + a rotation + flip +
    normalize (torchvision's order, which turns the resized crop and fills its corners, is
    :class:`pixnorm.transforms` and ``Collate(warp=...)``). Output pixels are placed where the
    resize samples them, turned about that centre, and the source is sampled there as
    :func:`warp_affine` samples (bilinear or nearest: ``interpolation``; nearest takes the pixel
    nearest the turned position, the 'nearest-exact' grid, so it does not tend to this
    function's own 'nearest' resize, torch's floor grid, as the angle tends to 0). With
    ``antialias`` and
    a box larger than the output on an axis, bilinear reads a first stage instead: the region
    the turned box covers, resized with the antialiased filter (float32) by the turned output
    pixel's extent along each source axis, its grid through the output's, so every output pixel
    averages the source it covers (at a tiny angle: the unrotated antialiased resize inside the
    output's outer pixels, which read the image around the box). Not with ``fit``, ``color`` or
    a per-pixel mean. 0 (or a multiple of 360) is the unrotated call.

    ``dtype`` (np.float32 by default; numpy, torch or ml_dtypes dtypes or their names) and
    ``layout`` ('CHW' or 'HWC') are :func:`normalize`'s: float16 and bfloat16 are the float32
    result rounded once to nearest-even (torch's ``.to(dtype)`` bit for bit), 'HWC' its
    transpose, both written in the same pass. ``dtype=np.uint8`` (uint8 images, no ``mean``,
    ``std`` or ``scale``) gives the resized, cropped, flipped and colour-converted image itself
    for loaders that normalize on the GPU: a named convention's exact uint8 result, pixnorm's
    own filtered values rounded to nearest-even as :func:`resize` gives them. ``out`` then has
    that dtype and layout.
    """
    aa, conv, ikw = _check_convention(convention, antialias, interpolation)
    fmt = _format(dtype, layout, out)
    norm, mean, std = _unpack(mean, std, scale, False)
    mean, std = _values(mean, "mean"), _values(std, "std")
    if angle is not None:
        angle = _check_angle(angle, "angle", fit, conv, color, ikw, mean, std)
    scale = _uint8_scale(fmt, scale, norm, mean, std)
    arr, _ = _image(image, "image", channels_last)
    _check_fit_options(fit, fill, return_params, angle is not None)
    if fit is not None:
        out_hw = _check_fit(fit, size, crop, factor, max_size)
        geom, _ = _geometry(arr, "image", None, None, box, flip, None, "box")
        s = _scale(arr, norm.scale if norm is not None else scale)
        values, params = _preprocess_fit(
            [arr], [geom], fit, out_hw, conv, aa, mean, std, s, norm, fill, fmt.out, False,
            color, fmt, ikw,
        )  # fmt: skip
        if not _is_per_pixel(mean, std) and fmt.dtype != "uint8":
            _warn(_range_message(arr, mean, std, s))
        values = _typed(values, out, fmt.dtype)
        return (values, params[0]) if return_params else values
    fac = _resolve_factor(factor, rounding, exact_factor, conv, size, max_size)
    geom, (ch, cw) = _geometry(arr, "image", size, crop, box, flip, max_size, "box", fac=fac)
    s = _scale(arr, norm.scale if norm is not None else scale)
    if angle is not None and angle % 360.0 == 0.0 and fill is not None:
        _fill_values(fill, arr)  # checked even when nothing is turned (the turn checks it)
    if angle is not None and angle % 360.0 != 0.0:
        from ._warp import preprocess_rotated  # (it imports this module)

        result = preprocess_rotated(
            arr, geom, ch, cw, angle, ikw.get("interpolation", "bilinear"), aa, fill, mean,
            std, s, dtype, layout, out,
        )  # fmt: skip
        if fmt.dtype != "uint8":
            _warn(_range_message(arr, mean, std, s))
        return result
    if _is_per_pixel(mean, std):  # the values (mean 0, std 1, scale 1), then a and b per element
        c = _core.color_channels(color, int(arr.shape[2]) if arr.ndim == 3 else 1, conv)
        result = _core.preprocess(
            [arr], [geom], ch, cw, aa, conv, 0.0, 1.0, 1.0, fmt.out, False,
            **_color_kw(color, s), **fmt.kw(), **ikw,
            **_pixel_kw(norm, mean, std, s, c, ch, cw),
        )  # fmt: skip
        return _typed(result, out, fmt.dtype)
    result = _core.preprocess(
        [arr], [geom], ch, cw, aa, conv, mean, std, s, fmt.out, False, **_color_kw(color),
        **fmt.kw(), **ikw,
    )  # fmt: skip
    if fmt.dtype != "uint8":
        _warn(_range_message(arr, mean, std, s))
    return _typed(result, out, fmt.dtype)


class _Later:
    """Images that preprocess_batch decodes as it resizes them (load_batch's _Lazy), given in
    place of its images: ``shapes`` stand for them in the geometry rules and the checks,
    ``preprocess`` runs the core's call in chunks, ``everything`` decodes them all (for the
    paths that read each image in steps of their own)."""

    shapes: list[np.ndarray[Any, Any]]

    def preprocess(
        self, geoms: Sequence[Geometry], crop_h: int, crop_w: int, *, out: Any, empty: Any,
        **kw: Any,
    ) -> Any:  # fmt: skip
        raise NotImplementedError

    def everything(self) -> list[np.ndarray[Any, Any]]:
        raise NotImplementedError


def preprocess_batch(
    images: Sequence[npt.ArrayLike] | np.ndarray[Any, Any],
    *,
    size: Size | None = None,
    crop: Size | None = None,
    boxes: Sequence[Box | None] | None = None,
    flips: Sequence[bool | str] | np.ndarray[Any, Any] | None = None,
    antialias: bool = True,
    convention: str | None = None,
    mean: Any = 0.0,
    std: Any = None,
    scale: float | None = None,
    max_size: int | None = None,
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    factor: Factor | None = None,
    rounding: str | None = None,
    exact_factor: bool = True,
    fit: str | None = None,
    fill: Any = None,
    return_params: bool = False,
    color: str | None = None,
    dtype: Any = None,
    layout: str = "CHW",
    interpolation: Any = "bilinear",
    angles: Sequence[float | None] | np.ndarray[Any, Any] | None = None,
) -> Any:
    """:func:`preprocess` for a list of images of any sizes -> one (N, C, h, w) batch (float32,
    or ``dtype``/``layout`` as :func:`preprocess`).

    ``boxes`` and ``flips`` give one box / flip per image (a box None: the whole image; a flip
    as :func:`preprocess`'s: a bool, "horizontal", "vertical" or "both"). Every image must end
    at the same (h, w): give ``size`` as a pair, or a ``crop``. The images are spread over the
    threads; the GIL is released; ``out`` (for example a pinned buffer's numpy view) is filled
    and returned.
    Images are read as in :func:`normalize` (torch tensors channels first; ``channels_last``).
    ``dtype`` and ``layout`` as :func:`preprocess`'s ('HWC' gives (N, h, w, C)).
    ``angles`` gives one :func:`preprocess` ``angle`` per image (None or 0: not rotated), with
    ``fill`` for the corners; the images are then rotated and resized one after another (each
    call still spread over the threads).
    """
    lazy = images if isinstance(images, _Later) else None  # (load_batch's: their shapes)
    if lazy is not None:
        images = lazy.shapes
    aa, conv, ikw = _check_convention(convention, antialias, interpolation)
    fmt = _format(dtype, layout, out)
    angles = _seq(angles)
    if angles is not None:
        if isinstance(angles, str | bytes) or not isinstance(angles, Sequence | np.ndarray):
            raise TypeError(
                f"angles: expected a sequence (one per image), got {type(angles).__name__}"
            )
        if isinstance(angles, np.ndarray) and angles.ndim != 1:
            raise TypeError(
                f"angles: expected one angle per image (1-d), got an array of shape {angles.shape}"
            )
        angles = list(angles)
    _check_fit_options(fit, fill, return_params, angles is not None)
    out_hw = _check_fit(fit, size, crop, factor, max_size) if fit is not None else None
    if out_hw is not None:
        size = None  # the fit decides each image's size
    fac = _resolve_factor(factor, rounding, exact_factor, conv, size, max_size)
    norm, mean, std = _unpack(mean, std, scale, False)
    mean, std = _values(mean, "mean"), _values(std, "std")
    scale = _uint8_scale(fmt, scale, norm, mean, std)
    if isinstance(images, memoryview):  # a batch buffer: iterating a memoryview of ndim > 1 fails
        images = np.asarray(images)
    shape = tuple(getattr(images, "shape", ()))
    if len(shape) == 3 and (shape[2] <= 4 if isinstance(images, np.ndarray) else shape[0] <= 4):
        # one image, not a batch: iterating it would give one gray image per row (or channel)
        raise ValueError(
            f"images: one array of shape {shape}, which reads as one image; preprocess_batch "
            "takes a list of images or a 4-d batch ((N, H, W, C) arrays, (N, C, H, W) "
            "tensors): pass [image] (or call preprocess), and gray images as (N, H, W, 1)"
        )
    arrs = [_image(a, f"images[{i}]", channels_last)[0] for i, a in enumerate(images)]
    n = len(arrs)
    if n == 0:
        raise ValueError("images: empty list")
    boxes, flips = _seq(boxes), _seq(flips)
    for name, seq in (("boxes", boxes), ("flips", flips)):
        if seq is not None and (
            isinstance(seq, str | bytes) or not isinstance(seq, Sequence | np.ndarray)
        ):
            raise TypeError(
                f"{name}: expected a sequence (one per image), got {type(seq).__name__}"
            )
    if angles is not None:
        if len(angles) != n:
            raise ValueError(f"angles: {len(angles)} angles for {n} images")
        angles = [
            None if a is None else _check_angle(a, f"angles[{i}]", fit, conv, color, ikw, mean, std)
            for i, a in enumerate(angles)
        ]
    if boxes is not None and len(boxes) != n:
        raise ValueError(f"boxes: {len(boxes)} boxes for {n} images")
    if flips is not None and len(flips) != n:
        raise ValueError(f"flips: {len(flips)} flags for {n} images")
    geoms = []
    first: tuple[int, int] | None = None
    for i, a in enumerate(arrs):
        geom, hw = _geometry(
            a,
            f"images[{i}]",
            size,
            crop,
            None if boxes is None else boxes[i],
            False if flips is None else flips[i],
            max_size,
            f"boxes[{i}]",
            f"flips[{i}]",
            fac=fac,
        )
        if first is None:
            first = hw
        elif hw != first and out_hw is None:
            raise ValueError(
                f"images[{i}]: ends at {hw}, images[0] at {first}; give size as (h, w) or a crop"
            )
        geoms.append(geom)
    assert first is not None
    s = _scale(arrs[0], norm.scale if norm is not None else scale)
    turned = angles is not None and any(a is not None and a % 360.0 != 0.0 for a in angles)
    if angles is not None and not turned and fill is not None:
        _fill_values(fill, arrs[0])  # checked even when nothing is turned (the turns check it)
    if lazy is not None and (turned or (fit is not None and out_hw is not None)):
        arrs = lazy.everything()  # (these paths read each image in steps of their own)
    if turned and angles is not None:
        return _rotated_batch(
            arrs, geoms, first, angles, ikw, aa, fill, mean, std, s, fmt, dtype, layout, out
        )
    if fit is not None and out_hw is not None:
        values, params = _preprocess_fit(
            arrs, geoms, fit, out_hw, conv, aa, mean, std, s, norm, fill, fmt.out, True, color,
            fmt, ikw,
        )  # fmt: skip
        if not _is_per_pixel(mean, std) and fmt.dtype != "uint8":
            _warn(_range_message(arrs[0], mean, std, s))
        values = _typed(values, out, fmt.dtype)
        return (values, params) if return_params else values
    if _is_per_pixel(mean, std):  # the values (mean 0, std 1, scale 1), then a and b per element
        c = _pixel_channels(arrs, color, conv)
        pixel = {} if c is None else _pixel_kw(norm, mean, std, s, c, first[0], first[1])
        result = _batch_core(
            lazy, arrs, geoms, first[0], first[1], aa, conv, 0.0, 1.0, 1.0, out=fmt.out,
            empty=fmt.empty, **_color_kw(color, s), **fmt.kw(), **ikw, **pixel,
        )  # fmt: skip
        if c is None:
            raise _mixed_channels()
        return _typed(result, out, fmt.dtype)
    result = _batch_core(
        lazy, arrs, geoms, first[0], first[1], aa, conv, mean, std, s, out=fmt.out,
        empty=fmt.empty, **_color_kw(color), **fmt.kw(), **ikw,
    )  # fmt: skip
    if fmt.dtype != "uint8":
        _warn(_range_message(arrs[0], mean, std, s))
    return _typed(result, out, fmt.dtype)


def _batch_core(
    lazy: Any, arrs: list[Any], geoms: list[Geometry], crop_h: int, crop_w: int,
    antialias: bool, convention: str | None, mean: Any, std: Any, scale: float, *, out: Any,
    empty: Any, **kw: Any,
) -> Any:  # fmt: skip
    """The core's preprocess of a batch: of the images, or with ``lazy`` (a _Lazy, ``arrs`` its
    shapes) of its images decoded in chunks as they are resized."""
    if lazy is None:
        return _core.preprocess(
            arrs, geoms, crop_h, crop_w, antialias, convention, mean, std, scale, out, True, **kw
        )
    return lazy.preprocess(
        geoms, crop_h, crop_w, out=out, empty=empty, antialias=antialias, convention=convention,
        mean=mean, std=std, scale=scale, **kw,
    )  # fmt: skip


def _rotated_batch(
    arrs: list[np.ndarray[Any, Any]], geoms: list[Geometry], hw: tuple[int, int],
    angles: list[float | None], ikw: dict[str, Any], aa: bool, fill: Any, mean: Any, std: Any,
    s: float, fmt: _Format, dtype: Any, layout: Any, out: Any,
) -> Any:  # fmt: skip
    """preprocess_batch with ``angles``: each image by preprocess's rotated path (or, with no
    angle, preprocess's own) into its slot of the batch."""
    from ._warp import preprocess_rotated  # (it imports this module)

    channels = {int(a.shape[2]) if a.ndim == 3 else 1 for a in arrs}
    if len(channels) != 1:
        raise _mixed_channels()
    dtypes = {a.dtype for a in arrs}
    if len(dtypes) != 1:
        raise ValueError(f"images: one dtype for the batch, got {sorted(str(d) for d in dtypes)}")
    shape = fmt.shape(len(arrs), channels.pop(), hw[0], hw[1])
    if fmt.out is not None:
        if tuple(fmt.out.shape) != shape:
            raise ValueError(f"out: expected shape {shape}, got {tuple(fmt.out.shape)}")
        if not fmt.out.flags.c_contiguous:
            raise ValueError("out: must be C-contiguous")
    raw = fmt.out if fmt.out is not None else fmt.empty(shape)  # bfloat16 as its bits
    interp = ikw.get("interpolation", "bilinear")
    for i, (arr, g, a) in enumerate(zip(arrs, geoms, angles, strict=True)):
        if a is None or a % 360.0 == 0.0:
            _core.preprocess(
                [arr], [g], hw[0], hw[1], aa, None, mean, std, s, raw[i], False, **fmt.kw(),
                **ikw,
            )  # fmt: skip
        else:
            preprocess_rotated(
                arr, g, hw[0], hw[1], a, interp, aa, fill, mean, std, s, dtype, layout, raw[i],
                raw_out=True,
            )  # fmt: skip
    if fmt.dtype != "uint8":
        _warn(_range_message(arrs[0], mean, std, s))
    return _typed(raw, out, fmt.dtype)
