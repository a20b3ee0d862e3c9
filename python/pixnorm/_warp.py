"""Warps fused with normalization (issue 16): ``warp_affine``, ``rotate``, ``affine`` and
``warp_polar``.

Each output pixel samples the source through an affine map and is normalized as
:func:`pixnorm.preprocess` normalizes, in one pass (docs/warp-conventions.md).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._args import (
    MAX_SIDE,
    UINT8_RULE,
    _brief,
    _image,
    _is_per_pixel,
    _layout,
    _out_dtype,
    _range_message,
    _real,
    _scale,
    _typed,
    _values,
    _warn,
)
from ._normalizer import _unpack
from ._resize import (
    _fill_values,
    _flip_axes,
    _Format,
    _format,
    _levels_of,
    _uint8_scale,
    convention_hint,
)

_FILTERS = ("bilinear", "nearest")


def _interp(interpolation: Any) -> str:
    if type(interpolation) is str and interpolation in _FILTERS:  # the common case first
        return interpolation
    name: Any = interpolation
    if type(interpolation).__name__ == "InterpolationMode":  # torchvision's enum
        name = interpolation.value
    elif type(interpolation).__name__ == "Resampling" and isinstance(interpolation, int):
        name = {0: "nearest", 2: "bilinear"}.get(int(interpolation), str(interpolation))
    if not isinstance(name, str):
        raise TypeError(
            "interpolation: expected 'bilinear' or 'nearest' (or torchvision's InterpolationMode, "
            f"PIL's Image.Resampling), got {type(interpolation).__name__}"
        )
    if name not in _FILTERS:
        raise ValueError(f"interpolation: warps take 'bilinear' or 'nearest', got {name!r}")
    return name


def _convention(convention: Any) -> str | None:
    if convention is not None and not isinstance(convention, str):
        raise TypeError(f"convention: expected None or a name, got {type(convention).__name__}")
    if convention not in (None, "opencv", "pillow", "torch"):
        hint = convention_hint(convention)
        raise ValueError(
            f"convention: {convention!r} is not available; expected None, 'opencv', 'pillow' "
            "or 'torch'" + (f" (did you mean {hint!r}?)" if hint else "")
        )
    return convention


def _matrix(matrix: Any) -> list[float]:
    # the common cases first, without numpy's conversions: a float64 (2, 3) array, two rows of
    # three Python floats or ints, or six of them (bools and everything else: the checks below)
    if type(matrix) is np.ndarray and matrix.dtype == np.float64 and matrix.shape == (2, 3):
        quick: list[float] = matrix.ravel().tolist()
        if all(map(math.isfinite, quick)):
            return quick
    elif type(matrix) in (list, tuple):
        flat: Any = None
        if len(matrix) == 6:
            flat = matrix
        elif len(matrix) == 2 and all(type(r) in (list, tuple) and len(r) == 3 for r in matrix):
            flat = [*matrix[0], *matrix[1]]
        # (ints as numpy's int64 holds them; larger ones take numpy's path, as before)
        if flat is not None and all(
            type(v) is float or (type(v) is int and -(2**63) <= v < 2**63) for v in flat
        ):
            quick = [float(v) for v in flat]
            if all(map(math.isfinite, quick)):
                return quick
    try:
        given = np.asarray(matrix)
    except (TypeError, ValueError):
        given = np.asarray(None)
    if given.dtype.kind not in "biuf":  # (complex, strings, objects: no silent casts)
        raise TypeError(
            f"matrix: expected a 2 x 3 array of real numbers, got {type(matrix).__name__}"
            + (f" of dtype {given.dtype}" if given.dtype.kind != "O" else "")
        )
    m = given.astype(np.float64)
    if m.shape not in ((2, 3), (6,), (3, 3)):
        raise ValueError(f"matrix: expected shape (2, 3), got {m.shape}")
    if m.shape == (3, 3):
        if not np.array_equal(m[2], [0.0, 0.0, 1.0]):
            raise ValueError("matrix: a 3 x 3 matrix must be affine (last row 0, 0, 1)")
        m = m[:2]
    if not np.isfinite(m).all():
        raise ValueError("matrix: expected finite values")
    return [float(v) for v in m.reshape(-1)]


def _out_size(size: Any, image_hw: tuple[int, int]) -> tuple[int, int]:
    if size is None:
        return image_hw
    if type(size) in (tuple, list) and len(size) == 2 and type(size[0]) is type(size[1]) is int:
        return _size_ints(size[0], size[1])  # the common case first (bool is not int here)
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return _size_ints(int(size), int(size))
    if (
        isinstance(size, Sequence)
        and len(size) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in size)
    ):
        return _size_ints(int(size[0]), int(size[1]))
    if isinstance(size, np.ndarray) and size.shape == (2,) and size.dtype.kind in "iu":
        return _size_ints(int(size[0]), int(size[1]))
    raise TypeError(f"size: expected an int or (h, w) ints, got {_brief(size)}")


def _size_ints(h: int, w: int) -> tuple[int, int]:
    """(h, w) within the core's int64 (the core checks the sides' own limits)."""
    if not (-(2**63) <= h < 2**63 and -(2**63) <= w < 2**63):
        raise ValueError(f"size: ({h}, {w}) is out of range (each side from 1 to {MAX_SIDE})")
    return h, w


def _pillow_data(m: list[float]) -> list[float]:
    """OpenCV's inverse map (pixel centres at integers) as Pillow's AFFINE data (pixel areas:
    centre x + 0.5): a0 = m0, a1 = m1, a2 = ((m2 - 0.5 m0) - 0.5 m1) + 0.5, likewise a5."""
    return [
        m[0],
        m[1],
        ((m[2] - 0.5 * m[0]) - 0.5 * m[1]) + 0.5,
        m[3],
        m[4],
        ((m[5] - 0.5 * m[3]) - 0.5 * m[4]) + 0.5,
    ]


def _run(
    arr: np.ndarray[Any, Any],
    matrix: list[float],
    oh: int,
    ow: int,
    interpolation: str,
    conv: str | None,
    fill: Any,
    mean: Any,
    std: Any,
    scale: Any,
    dtype: Any,
    layout: Any,
    out: Any,
    polar: tuple[float, float, float, bool, bool] | None = None,
    torch: tuple[bool, bool, bool] | None = None,
    flip: tuple[int, int] = (0, 0),
    divisor: float = 0.0,
    raw_out: bool = False,
    warn: bool = True,
) -> Any:
    """The core's warp with preprocess's output arguments (``polar``: warp_polar's centre,
    radius and flags instead of the matrix; ``flip``: (horizontal, vertical) mirroring of the
    output; ``divisor``: ToTensor's ``float32(x) / divisor`` instead of the scale, in a named
    convention; ``raw_out``: ``out`` is the array the core writes, bfloat16 as its uint16 bits,
    as Collate allocates it)."""
    fmt = (
        _Format(_out_dtype(dtype), _layout(layout), out) if raw_out else _format(dtype, layout, out)
    )
    norm, mean, std = _unpack(mean, std, scale, False)
    if _is_per_pixel(mean, std):
        raise ValueError(
            "mean: warps take per-channel mean and std (a value or one per channel, or a "
            "Normalizer of such); a per-pixel mean image is for preprocess and normalize"
        )
    if norm is not None:
        if fmt.dtype == "uint8":
            raise ValueError(
                "dtype: uint8 output is the warped image itself, in levels 0..255: leave mean "
                "and std unset (no Normalizer) and scale unset (or 1)"
            )
        scale = norm.scale  # (_unpack refused a scale given beside it)
    mean, std = _values(mean, "mean"), _values(std, "std")
    scale = _uint8_scale(fmt, scale, norm, mean, std)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"image: expected (H, W) or (H, W, C), got shape {arr.shape}")
    s = _scale(arr, scale)
    fills = [0.0] * int(arr.shape[2]) if fill is None else _fill_values(fill, arr)
    if conv == "torch" and fill is not None:  # torch.tensor(fill, float32): not rounded
        raw = [float(v) for v in np.asarray(fill, dtype=np.float64).reshape(-1)]
        if len(raw) not in (1, int(arr.shape[2])):
            raise ValueError(f"fill: expected 1 or {int(arr.shape[2])} values, got {len(raw)}")
        fills = raw * int(arr.shape[2]) if len(raw) == 1 else raw
    if conv == "pillow" and fill is not None:
        fills = _levels_of(fills, 255)  # (finite: _fill_values checked them)
    if conv == "opencv" and fill is not None and arr.ndim == 3 and arr.shape[2] != 2:
        # Intel IPP's path (1, 3, 4 channels) takes borderValue through int32: 2^31 and above
        # wrap to INT_MIN and saturate to 0, as the wheels give (OpenCV's own 2-channel code
        # saturates them to 255)
        given = np.broadcast_to(np.asarray(fill, dtype=np.float64).reshape(-1), (len(fills),))
        fills = [0.0 if np.rint(g) >= 2.0**31 else f for g, f in zip(given, fills, strict=True)]
    result = _core.warp_affine(
        arr, matrix, oh, ow, interpolation, conv, fills, mean, std, s, divisor, fmt.dtype,
        fmt.layout, fmt.out, polar, torch, bool(flip[0]), bool(flip[1]),
    )  # fmt: skip
    if warn:  # mean/std that cannot describe the image
        _warn(_range_message(arr, mean, std, 1.0 / divisor if divisor else s))
    return _typed(result, out, fmt.dtype)


def warp_affine(
    image: npt.ArrayLike,
    matrix: Any,
    size: Any = None,
    *,
    interpolation: Any = "bilinear",
    fill: Any = None,
    convention: str | None = None,
    mean: Any = 0.0,
    std: Any = None,
    scale: float | None = None,
    dtype: Any = None,
    layout: str = "CHW",
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    flip: bool | str = False,
) -> Any:
    """Warp an image through an affine map and normalize it, in one pass.

    ``matrix`` (2 x 3) is OpenCV's *inverse* map (``cv2.warpAffine`` with
    ``cv2.WARP_INVERSE_MAP``): output pixel (x, y) samples the source at
    ``(m00 x + m01 y + m02, m10 x + m11 y + m12)``, integer coordinates at pixel centres. For a
    forward matrix M (as ``cv2.warpAffine`` takes it without the flag) pass
    ``cv2.invertAffineTransform(M)``. ``size`` is the output (h, w) (an int: a square; None:
    the image's size; (h, w), where ``cv2.warpAffine``'s dsize is (w, h)). Pixels whose samples
    fall outside the image take ``fill`` (a value or one per channel, in the image's units,
    default 0; for uint8 and uint16 images rounded half to even and saturated, as OpenCV's
    borderValue), normalized as the image is. A 3 x 3 affine matrix (last row 0, 0, 1) is
    accepted; a torch tensor is read as (C, H, W) and the result is a numpy array.

    ``interpolation``: 'bilinear' (default) or 'nearest'. ``convention``:

    - None: the source position in float64, nearest at ``floor(u + 0.5)``, bilinear weights
      from the float64 fraction rounded to float32 and summed in float32; a sample outside the
      image is ``fill`` (so a pixel wholly outside is ``fill`` exactly). uint8, uint16 or
      float32 images; within reference.warp_error_bound of the float64 definition.
    - 'opencv': ``cv2.warpAffine(img, matrix, (w, h), flags | WARP_INVERSE_MAP,
      borderMode=BORDER_CONSTANT, borderValue=fill)`` on uint8 bit for bit, then torchvision's
      float32 arithmetic: 2-channel images through OpenCV's fixed point (bilinear, nearest);
      1, 3 and 4 channels bilinear as the wheels run them through Intel IPP, on images of at
      least 3 x 3 and maps that rotate or shear (IPP's nearest, axis-aligned maps, thinner
      images, (nearly) singular maps and coefficients beyond 1e6 are a ValueError).
    - 'pillow': ``Image.transform((w, h), Image.Transform.AFFINE, data, resample,
      fillcolor=fill)`` on uint8 L, RGB or RGBA bit for bit, with ``data`` the same map in
      Pillow's pixel-area coordinates: ``(m00, m01, ((m02 - 0.5 m00) - 0.5 m01) + 0.5, m10,
      m11, ((m12 - 0.5 m10) - 0.5 m11) + 0.5)``.

    ``mean``, ``std``, ``scale``, ``dtype``, ``layout`` and ``out`` are :func:`preprocess`'s
    (per-channel values only). Returns (C, h, w) float32 by default.
    ``flip`` mirrors the warped output, as torchvision's flips after the warp: True or
    'horizontal' (output column x is the warp's column w - 1 - x), 'vertical', 'both'.
    """
    conv = _convention(convention)
    axes = _flip_axes(flip, "flip")
    if conv == "torch":
        raise ValueError(
            "convention: torchvision warps through rotate and affine, not a given matrix; use "
            "pixnorm.rotate / pixnorm.affine with convention='torch'"
        )
    name = _interp(interpolation)
    arr, _ = _image(image, "image", channels_last)
    m = _matrix(matrix)
    oh, ow = _out_size(size, (int(arr.shape[0]), int(arr.shape[1])) if arr.ndim >= 2 else (0, 0))
    if conv == "pillow":
        m = _pillow_data(m)
    return _run(arr, m, oh, ow, name, conv, fill, mean, std, scale, dtype, layout, out, flip=axes)


# ---- rotate --------------------------------------------------------------------------------


def _torchvision_inverse(
    angle: float, center: tuple[float, float], translate: tuple[float, float] = (0.0, 0.0),
    zoom: float = 1.0, shear: tuple[float, float] = (0.0, 0.0),
) -> list[float]:  # fmt: skip
    """torchvision's _get_inverse_affine_matrix, in Python floats in its order: the inverse of
    rotation-scale-shear about ``center`` (relative to the image centre) then translation."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / zoom for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _torchvision_expand(w: int, h: int, t: list[float]) -> tuple[int, int]:
    """torchvision's _compute_affine_output_size on a tensor (float32 steps): the bounding box
    of the rotated corners, rounded to 1e-4 first."""
    f32 = np.float32
    with np.errstate(all="ignore"):  # (overflow: refused below, not warned about)
        tf = [f32(v) for v in t]
        hw, hh = f32(w * 0.5), f32(h * 0.5)
        xs, ys = [], []
        for px, py in ((-hw, -hh), (-hw, hh), (hw, hh), (hw, -hh)):
            xs.append(f32(f32(f32(px * tf[0]) + tf[2]) + f32(py * tf[1])))
            ys.append(f32(f32(f32(px * tf[3]) + tf[5]) + f32(py * tf[4])))
    out = []
    for vals, half in ((xs, hw), (ys, hh)):
        with np.errstate(all="ignore"):
            lo, hi = f32(min(vals) + half), f32(max(vals) + half)
            lo4, hi4 = f32(lo * f32(10000.0)), f32(hi * f32(10000.0))
        if not (np.isfinite(lo4) and np.isfinite(hi4)):
            raise ValueError(
                "expand: the rotated image's bounding box overflows float32 (a centre or "
                "translation far from the image); use expand=False or a nearer centre"
            )
        q = f32(1e-4)
        hi = math.ceil(f32(f32(math.trunc(float(hi4))) * q))
        lo = math.floor(f32(f32(math.trunc(float(lo4))) * q))
        out.append(int(hi - lo))
    return out[0], out[1]


def _opencv_rotation_inverse(angle: float, cx: float, cy: float) -> list[float]:
    """cv2.getRotationMatrix2D((cx, cy), angle, 1.0), inverted as cv2.warpAffine inverts a
    forward matrix (in double, in its order); the centre is a cv::Point2f there, so rounded to
    float32 first."""
    cx, cy = float(np.float32(cx)), float(np.float32(cy))
    a = angle * (math.pi / 180.0)
    alpha, beta = math.cos(a), math.sin(a)
    m = [alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy]
    d = m[0] * m[4] - m[1] * m[3]
    d = 1.0 / d if d != 0 else 0.0
    a11, a22 = m[4] * d, m[0] * d
    a12, a21 = -m[1] * d, -m[3] * d
    b1 = -a11 * m[2] - a12 * m[5]
    b2 = -a21 * m[2] - a22 * m[5]
    return [a11, a12, b1, a21, a22, b2]


def _pillow_rotation(
    angle: float, w: int, h: int, expand: bool, center: tuple[float, float] | None
) -> tuple[list[float], int, int]:
    """Pillow's Image.rotate matrix (AFFINE data) and output size, in its arithmetic."""
    cx, cy = center if center is not None else (w / 2.0, h / 2.0)
    t = -math.radians(angle)
    m = [
        round(math.cos(t), 15), round(math.sin(t), 15), 0.0,
        round(-math.sin(t), 15), round(math.cos(t), 15), 0.0,
    ]  # fmt: skip

    def tf(x: float, y: float) -> tuple[float, float]:
        return m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]

    m[2], m[5] = tf(-cx, -cy)
    m[2] += cx
    m[5] += cy
    nw, nh = w, h
    if expand:
        xx, yy = [], []
        for x, y in ((0, 0), (w, 0), (w, h), (0, h)):
            u, v = tf(x, y)
            xx.append(u)
            yy.append(v)
        nw = math.ceil(max(xx)) - math.floor(min(xx))
        nh = math.ceil(max(yy)) - math.floor(min(yy))
        m[2], m[5] = tf(-(nw - w) / 2.0, -(nh - h) / 2.0)
    return m, nw, nh


def _angle(angle: Any) -> float:
    if type(angle) is float and math.isfinite(angle):  # the common case first
        return angle
    if not isinstance(angle, numbers.Real) or isinstance(angle, bool):
        raise TypeError(f"angle: expected a real number, got {type(angle).__name__}")
    value = float(angle)
    if not math.isfinite(value):
        raise ValueError(f"angle: expected a finite number, got {value}")
    return value


def _center(center: Any) -> tuple[float, float] | None:
    """torchvision's ``center`` (x, y) in pixel-area coordinates, or None."""
    if center is None:
        return None
    if isinstance(center, np.ndarray) and center.shape == (2,) and center.dtype.kind in "iuf":
        center = center.tolist()  # (as warp_polar's centre)
    if not isinstance(center, Sequence) or len(center) != 2:
        raise TypeError(f"center: expected (x, y), got {_brief(center)}")
    cx, cy = _real(center[0], "center"), _real(center[1], "center")
    if not (math.isfinite(cx) and math.isfinite(cy)):
        raise ValueError("center: expected finite values")
    return cx, cy


def _one_image(image: Any, channels_last: bool) -> tuple[np.ndarray[Any, Any], int, int]:
    arr, _ = _image(image, "image", channels_last)
    if arr.ndim not in (2, 3):
        raise ValueError(f"image: expected (H, W) or (H, W, C), got shape {arr.shape}")
    return arr, int(arr.shape[0]), int(arr.shape[1])


def _torchvision_v2_inverse(
    center: tuple[float, float], angle: float, translate: tuple[float, float], zoom: float,
    shear: tuple[float, float],
) -> list[float]:  # fmt: skip
    """torchvision v2's _get_inverse_affine_matrix (its own order of operations, which differs
    from v1's in the last bits), in Python floats."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    cos_sy, tan_sx = math.cos(sy), math.tan(sx)
    rot_minus_sy = rot - sy
    cxt, cyt = cx + translate[0], cy + translate[1]
    a = math.cos(rot_minus_sy) / cos_sy
    b = -(a * tan_sx + math.sin(rot))
    c = math.sin(rot_minus_sy) / cos_sy
    d = math.cos(rot) - c * tan_sx
    m = [d / zoom, -b / zoom, 0.0, -c / zoom, a / zoom, 0.0]
    m[2] += cx - m[0] * cxt - m[1] * cyt
    m[5] += cy - m[3] * cxt - m[4] * cyt
    return m


def _torch_run(
    arr: np.ndarray[Any, Any],
    m: list[float],
    ow: int,
    oh: int,
    name: str,
    args: tuple[Any, Any, Any, Any, Any, Any, Any],
    flip: tuple[int, int] = (0, 0),
    divisor: float = 0.0,
    raw_out: bool = False,
) -> Any:
    """convention 'torch': torchvision v2's _affine_grid coefficients in float32 (theta^T / (w/2,
    h/2)) and grid_sample, in the core."""
    f32 = np.float32
    h, w = int(arr.shape[0]), int(arr.shape[1])
    t = [f32(v) for v in m]
    dw, dh = f32(0.5 * w), f32(0.5 * h)
    theta = [float(v) for v in (t[0] / dw, t[1] / dw, t[2] / dw, t[3] / dh, t[4] / dh, t[5] / dh)]
    small = 3 * (oh * ow) * 2 < 400  # the naive bmm kernel's order, else MKL's sgemm
    fill = args[0]
    return _run(
        arr, theta, oh, ow, name, "torch", *args, torch=(small, fill is not None, False),
        flip=flip, divisor=divisor, raw_out=raw_out,
    )  # fmt: skip


def _torchvision_map(t: list[float], w: int, h: int, ow: int, oh: int) -> list[float]:
    """torchvision's inverse matrix `t` (about the image centre) as OpenCV's inverse map: output
    pixel x samples at t0 (x - (ow - 1) / 2) + t1 (y - (oh - 1) / 2) + t2 + (w - 1) / 2."""
    ox, oy = (ow - 1) / 2.0, (oh - 1) / 2.0
    return [
        t[0], t[1], t[2] + (w - 1) / 2.0 - t[0] * ox - t[1] * oy,
        t[3], t[4], t[5] + (h - 1) / 2.0 - t[3] * ox - t[4] * oy,
    ]  # fmt: skip


def rotate(
    image: npt.ArrayLike,
    angle: float,
    *,
    interpolation: Any = "nearest",
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: Any = None,
    convention: str | None = None,
    mean: Any = 0.0,
    std: Any = None,
    scale: float | None = None,
    dtype: Any = None,
    layout: str = "CHW",
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    flip: bool | str = False,
) -> Any:
    """Rotate an image by ``angle`` degrees counter-clockwise and normalize it, in one pass,
    with torchvision's ``rotate`` arguments and defaults: ``center`` (x, y) in pixel-area
    coordinates (default the image centre), ``expand`` (grow the output to hold the whole
    rotated image), ``fill`` for pixels outside (default 0), ``interpolation`` 'nearest'
    (default) or 'bilinear'.

    ``convention``:

    - None: torchvision's geometry (its inverse matrix, its expanded size, its exact copies for
      quarter turns about the centre) sampled in exact float arithmetic (:func:`warp_affine`'s:
      bilinear agrees with torchvision's float result within 2e-4; nearest breaks exact ties
      up where torchvision's float32 grid rounds them half to even, as in quarter turns of an
      image whose sides differ by an odd number);
      a bilinear pixel near the border weighs ``fill`` by the share of its samples outside (so
      it differs from torchvision's ``(v - fill) * mask + fill`` with an explicit fill; with
      ``fill=None`` both blend zeros).
    - 'opencv': ``cv2.warpAffine(img, cv2.getRotationMatrix2D(c, angle, 1.0), (w, h), flags,
      borderValue=fill)`` with ``c`` the centre in OpenCV's coordinates (``(x - 0.5, y - 0.5)``
      of ``center``; ``((w - 1) / 2, (h - 1) / 2)`` by default); no ``expand`` (OpenCV has
      none). As :func:`warp_affine`'s 'opencv'.
    - 'pillow': ``Image.rotate(angle, resample, expand, center, fillcolor=fill)`` bit for bit
      (L, RGB, RGBA; its exact 0 / 90 / 180 / 270 degree copies included), with ``fill`` one
      value per band: a single number fills every band, as torchvision's ``fill`` does
      (Pillow's own ``fillcolor=5`` on RGB would be (5, 0, 0)).
    - 'torch': torchvision v2's ``rotate`` on a uint8 tensor bit for bit (its float32 grid and
      grid_sample arithmetic as its AVX2 / AVX-512 kernel runs it; a fill in 0..255 blended as
      ``(v - fill) * mask + fill``; its exact quarter turns), then its float arithmetic.

    The other arguments are :func:`warp_affine`'s (``flip`` mirrors the rotated output).
    """
    return _rotate(
        image, angle, interpolation, expand, center, fill, convention, mean, std, scale, dtype,
        layout, out, channels_last, _flip_axes(flip, "flip"), 0.0,
    )  # fmt: skip


def _rotate(
    image: Any, angle: Any, interpolation: Any, expand: Any, center: Any, fill: Any,
    convention: Any, mean: Any, std: Any, scale: Any, dtype: Any, layout: Any, out: Any,
    channels_last: bool, axes: tuple[int, int], divisor: float, raw_out: bool = False,
) -> Any:  # fmt: skip
    """rotate, with flip as (horizontal, vertical), ToTensor's divisor and out as the core
    writes it (fused transforms, Collate)."""
    conv = _convention(convention)
    name = _interp(interpolation)
    angle = _angle(angle)
    extra: dict[str, Any] = {"flip": axes, "divisor": divisor, "raw_out": raw_out}
    if not isinstance(expand, bool | np.bool_):
        raise TypeError(f"expand: expected a bool, got {type(expand).__name__}")
    center_xy = _center(center)
    arr, h, w = _one_image(image, channels_last)
    args = (fill, mean, std, scale, dtype, layout, out)
    if center_xy is None and conv != "opencv":
        # Pillow's and torchvision's exact copies (no fill, no resampling) for quarter turns
        k = {0.0: 0, 90.0: 1, 180.0: 2, 270.0: 3}.get(angle % 360.0)
        if k is not None and (k in (0, 2) or expand or w == h):
            view = np.rot90(arr, k) if k else arr
            nh, nw = int(view.shape[0]), int(view.shape[1])
            eye = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
            if conv == "torch":
                return _run(
                    view, eye, nh, nw, "nearest", conv, *args, torch=(False, False, True), **extra
                )
            return _run(
                view, _pillow_data(eye) if conv else eye, nh, nw, "nearest", conv, *args, **extra
            )
    if conv == "torch":  # torchvision v2: angle % 360, its matrix of -angle, its expanded size
        rel = (0.0, 0.0) if center_xy is None else (center_xy[0] - 0.5 * w, center_xy[1] - 0.5 * h)
        m = _torchvision_v2_inverse(rel, -(angle % 360.0), (0.0, 0.0), 1.0, (0.0, 0.0))
        ow, oh = _torchvision_expand(w, h, m) if expand else (w, h)
        return _torch_run(arr, m, ow, oh, name, args, **extra)
    if conv == "pillow":
        data, nw, nh = _pillow_rotation(angle % 360.0, w, h, bool(expand), center_xy)
        return _run(arr, data, nh, nw, name, conv, *args, **extra)
    if conv == "opencv":
        if expand:
            raise ValueError(
                "expand: OpenCV has no expand; compute the size and translation and call "
                "warp_affine, or use convention=None or 'pillow'"
            )
        cx, cy = (
            ((w - 1) / 2.0, (h - 1) / 2.0)
            if center_xy is None
            else (center_xy[0] - 0.5, center_xy[1] - 0.5)
        )
        return _run(arr, _opencv_rotation_inverse(angle, cx, cy), h, w, name, conv, *args, **extra)
    # None: torchvision's geometry, its inverse matrix of -angle about the centre (relative to
    # the image centre)
    rel = (0.0, 0.0) if center_xy is None else (center_xy[0] - 0.5 * w, center_xy[1] - 0.5 * h)
    t = _torchvision_inverse(-(angle % 360.0), rel)  # (torchvision takes angle % 360 first)
    ow, oh = _torchvision_expand(w, h, t) if expand else (w, h)
    return _run(arr, _torchvision_map(t, w, h, ow, oh), oh, ow, name, conv, *args, **extra)


def _affine_args(
    translate: Any, zoom: Any, shear: Any
) -> tuple[tuple[float, float], float, tuple[float, float]]:
    """torchvision's affine arguments: translate (tx, ty), zoom > 0, shear a number (x only), one
    value (both) or (sx, sy); in degrees."""
    # numpy pairs as lists (as warp_polar's centre)
    if isinstance(translate, np.ndarray) and translate.ndim == 1 and translate.dtype.kind in "iuf":
        translate = translate.tolist()
    if isinstance(shear, np.ndarray) and shear.ndim == 1 and shear.dtype.kind in "iuf":
        shear = shear.tolist()
    if not isinstance(translate, Sequence) or isinstance(translate, str) or len(translate) != 2:
        raise TypeError(f"translate: expected (tx, ty), got {_brief(translate)}")
    tx, ty = _real(translate[0], "translate"), _real(translate[1], "translate")
    z = _real(zoom, "zoom")
    if not (z > 0 and math.isfinite(z)):
        raise ValueError(f"zoom: expected a finite value > 0, got {z}")
    if isinstance(shear, numbers.Real) and not isinstance(shear, bool):
        sh = (float(shear), 0.0)
    elif isinstance(shear, Sequence) and not isinstance(shear, str) and len(shear) in (1, 2):
        vals = [_real(v, "shear") for v in shear]
        sh = (vals[0], vals[0]) if len(vals) == 1 else (vals[0], vals[1])
    else:
        raise TypeError(f"shear: expected a number or (sx, sy), got {_brief(shear)}")
    if not all(math.isfinite(v) for v in (tx, ty, *sh)):
        raise ValueError("translate, shear: expected finite values")
    return (tx, ty), z, sh


def affine(
    image: npt.ArrayLike,
    angle: float,
    translate: Sequence[float] = (0.0, 0.0),
    zoom: float = 1.0,
    shear: Any = 0.0,
    *,
    interpolation: Any = "nearest",
    center: Sequence[float] | None = None,
    fill: Any = None,
    convention: str | None = None,
    mean: Any = 0.0,
    std: Any = None,
    scale: float | None = None,
    dtype: Any = None,
    layout: str = "CHW",
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    flip: bool | str = False,
) -> Any:
    """torchvision's ``affine`` (rotation by ``angle`` degrees, ``translate`` in pixels, scale
    ``zoom``, ``shear`` in degrees, about ``center``: pixel-area coordinates, default the image
    centre), fused with the normalization in one pass; the output has the image's size. Its
    ``scale`` is ``zoom`` here: ``scale`` is the value scale, as everywhere in pixnorm.

    ``convention``: None, torchvision's inverse matrix (``_get_inverse_affine_matrix``) sampled
    in exact float arithmetic (:func:`warp_affine`'s); 'pillow', torchvision's ``affine`` on a
    PIL image bit for bit (its matrix through ``Image.transform(AFFINE)``; L, RGB, RGBA);
    'torch', torchvision v2's ``affine`` on a uint8 tensor bit for bit (as :func:`rotate`'s
    'torch'). The other arguments are :func:`warp_affine`'s (``flip`` mirrors the output).
    """
    return _affine(
        image, angle, translate, zoom, shear, interpolation, center, fill, convention, mean, std,
        scale, dtype, layout, out, channels_last, _flip_axes(flip, "flip"), 0.0,
    )  # fmt: skip


def _affine(
    image: Any, angle: Any, translate: Any, zoom: Any, shear: Any, interpolation: Any,
    center: Any, fill: Any, convention: Any, mean: Any, std: Any, scale: Any, dtype: Any,
    layout: Any, out: Any, channels_last: bool, axes: tuple[int, int], divisor: float,
    raw_out: bool = False,
) -> Any:  # fmt: skip
    """affine, with flip as (horizontal, vertical), ToTensor's divisor and out as the core
    writes it (fused transforms, Collate)."""
    conv = _convention(convention)
    extra: dict[str, Any] = {"flip": axes, "divisor": divisor, "raw_out": raw_out}
    if conv == "opencv":
        raise ValueError(
            "convention: OpenCV has no affine(angle, translate, scale, shear); build the matrix "
            "and call warp_affine(convention='opencv')"
        )
    name = _interp(interpolation)
    angle = _angle(angle)
    tr, z, sh = _affine_args(translate, zoom, shear)
    arr, h, w = _one_image(image, channels_last)
    c = _center(center)
    args = (fill, mean, std, scale, dtype, layout, out)
    if conv == "pillow":  # torchvision's PIL kernel: the matrix about the pixel-area centre
        data = _torchvision_inverse(angle, (w * 0.5, h * 0.5) if c is None else c, tr, z, sh)
        return _run(arr, data, h, w, name, conv, *args, **extra)
    if conv == "torch":  # torchvision v2 on a uint8 tensor
        rel = (0.0, 0.0) if c is None else (c[0] - 0.5 * w, c[1] - 0.5 * h)
        m = _torchvision_v2_inverse(rel, angle, tr, z, sh)
        return _torch_run(arr, m, w, h, name, args, **extra)
    rel = (0.0, 0.0) if c is None else (c[0] - 0.5 * w, c[1] - 0.5 * h)
    t = _torchvision_inverse(angle, rel, tr, z, sh)
    return _run(arr, _torchvision_map(t, w, h, w, h), h, w, name, conv, *args, **extra)


# ---- warp_polar ----------------------------------------------------------------------------


def _point(value: Any, name: str) -> tuple[float, float]:
    if type(value) in (tuple, list) and len(value) == 2:  # the common case first
        x, y = value
        if all(type(v) is float or (type(v) is int and -(2**63) <= v < 2**63) for v in (x, y)):
            fx, fy = float(x), float(y)
            if math.isfinite(fx) and math.isfinite(fy):
                return fx, fy
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"{name}: expected (x, y), got {type(value).__name__}")
    items = (
        list(np.asarray(value, dtype=object).reshape(-1))
        if isinstance(value, np.ndarray)
        else list(value)
    )
    if len(items) != 2:
        raise ValueError(f"{name}: expected (x, y), got {len(items)} values")
    xy = [_real(v, name) for v in items]
    if not all(math.isfinite(v) for v in xy):
        raise ValueError(f"{name}: expected finite coordinates, got {tuple(xy)}")
    return xy[0], xy[1]


def warp_polar(
    image: npt.ArrayLike,
    size: Any,
    center: Any,
    max_radius: float,
    *,
    log: bool = False,
    inverse: bool = False,
    interpolation: Any = "bilinear",
    fill: Any = None,
    convention: str | None = None,
    mean: Any = 0.0,
    std: Any = None,
    scale: float | None = None,
    dtype: Any = None,
    layout: str = "CHW",
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    flip: bool | str = False,
) -> Any:
    """Remap an image to polar (or semi-log polar) coordinates and normalize it, in one pass:
    ``cv2.warpPolar`` with ``WARP_FILL_OUTLIERS``.

    ``size`` is the output (h, w) (an int: a square; ``cv2.warpPolar``'s dsize is (w, h)),
    ``center`` the pole (x, y) in source pixels (integer coordinates at pixel centres),
    ``max_radius`` the radius scale (column x samples radius ``max_radius x / w``: the last
    column ``max_radius (w - 1) / w``); ``log=True`` needs ``max_radius > 1``.

    - Forward (default): output row y is the angle ``phi = 2 pi y / h``, column x the radius
      ``rho = max_radius x / w`` (``log=True``: ``rho = exp(ln(max_radius) x / w) - 1``, more
      columns for small radii); the pixel samples the source at
      ``center + rho (cos phi, sin phi)``.
    - ``inverse=True``: ``image`` is such a polar image (its rows the angles, its width the
      radius scale) and the output (h, w) Cartesian: pixel (x, y) at distance ``rho`` and angle
      ``phi`` in [0, 2 pi) from ``center`` (``rho = sqrt(dx^2 + dy^2)``) samples the polar
      image at column ``rho W / max_radius`` (``log``: ``ln(rho + 1) W / ln(max_radius)``) and
      row ``phi H / (2 pi)``, rows wrapping around (row H is row 0 again).

    Samples outside the image take ``fill`` (default 0, in the image's units), normalized as
    the image is. ``interpolation``: 'bilinear' (default) or 'nearest'. ``convention``:

    - None: those positions in float64, then :func:`warp_affine`'s sampling (nearest at
      ``floor(u + 0.5)``; bilinear weights rounded to float32, float32 sums); uint8, uint16 or
      float32 images; within ``reference.warp_error_bound`` of the float64 definition.
    - 'opencv': ``cv2.warpPolar(img, (w, h), center, max_radius, flags | WARP_FILL_OUTLIERS
      [| WARP_POLAR_LOG])`` on uint8 with 1 to 4 channels bit for bit (its float32 maps from
      double products, then ``cv::remap``: OpenCV 5's float kernel with 1, 3 or 4 channels, its
      fixed-point tables with 2), then torchvision's float32 arithmetic; forward only (the
      inverse uses OpenCV's approximate angles and logarithm: a ValueError; use None), fill 0.

    ``mean``, ``std``, ``scale``, ``dtype``, ``layout`` and ``out`` are :func:`preprocess`'s
    (per-channel values only). Returns (C, h, w) float32 by default.
    ``flip`` mirrors the warped output, as torchvision's flips after the warp: True or
    'horizontal' (output column x is the warp's column w - 1 - x), 'vertical', 'both'.
    """
    conv = _convention(convention)
    axes = _flip_axes(flip, "flip")
    if conv == "pillow":
        raise ValueError("convention: Pillow has no polar warp; use None or 'opencv'")
    name = _interp(interpolation)
    for flag, what in ((log, "log"), (inverse, "inverse")):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{what}: expected a bool, got {type(flag).__name__}")
    arr, _ = _image(image, "image", channels_last)
    if size is None:
        raise TypeError("size: expected an int or (h, w) ints, got None")
    oh, ow = _out_size(size, (0, 0))
    cx, cy = _point(center, "center")
    radius = _real(max_radius, "max_radius")
    if not (math.isfinite(radius) and radius > 0):
        raise ValueError(f"max_radius: expected a finite value > 0, got {radius}")
    fill_image = arr[:, :, None] if arr.ndim == 2 else arr
    if conv == "opencv" and fill is not None and any(_fill_values(fill, fill_image)):
        raise ValueError(
            "fill: cv2.warpPolar fills outliers with 0 (WARP_FILL_OUTLIERS); use convention=None "
            "for another fill"
        )
    polar = (cx, cy, radius, bool(log), bool(inverse))
    return _run(
        arr, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0], oh, ow, name, conv, fill, mean, std, scale, dtype,
        layout, out, polar, flip=axes,
    )  # fmt: skip


# ---- preprocess(angle=) --------------------------------------------------------------------


def _cos_sin(angle: float) -> tuple[float, float]:
    """cos and sin of ``angle`` degrees, exact at multiples of 90 (a quarter turn samples pixel
    centres exactly: no 6e-17 residue)."""
    a = angle % 360.0
    exact = {0.0: (1.0, 0.0), 90.0: (0.0, 1.0), 180.0: (-1.0, 0.0), 270.0: (0.0, -1.0)}
    if a in exact:
        return exact[a]
    t = math.radians(a)
    return math.cos(t), math.sin(t)


def rotated_map(geom: Any, ch: int, cw: int, angle: float) -> tuple[list[float], float, float]:
    """preprocess(angle=)'s map (:func:`warp_affine`'s inverse matrix, pixel centres at
    integers) from the (ch, cw) output to the source, and the source pixels per output pixel
    (step_y, step_x). Output pixel (x, y) lies at ``p = (sx (x + crop_left + 0.5) - 0.5 +
    box_left, sy (y + crop_top + 0.5) - 0.5 + box_top)`` before the rotation (where the resize
    samples it: s = box / resized size, or 1 / factor), then ``p`` is turned about ``c``, the
    source position of the output's centre (the box centre when nothing is cropped), by the
    angle: ``c + R (p - c)`` with ``R = [[cos, -sin], [sin, cos]]``, the source sampled there
    (the image turns counter-clockwise, as rotate)."""
    sy = 1.0 / geom.factor_y if geom.factor_y > 0 else geom.box_height / geom.resized_height
    sx = 1.0 / geom.factor_x if geom.factor_x > 0 else geom.box_width / geom.resized_width
    bx = (geom.crop_left + 0.5) * sx - 0.5 + geom.box_left
    by = (geom.crop_top + 0.5) * sy - 0.5 + geom.box_top
    cx, cy = sx * (cw - 1) / 2.0 + bx, sy * (ch - 1) / 2.0 + by
    c, s = _cos_sin(angle)
    dx, dy = bx - cx, by - cy
    return [c * sx, -s * sy, cx + c * dx - s * dy, s * sx, c * sy, cy + s * dx + c * dy], sy, sx


def _first_stage_steps(angle: float, sy: float, sx: float) -> tuple[float, float]:
    """The first stage's steps (source pixels per first-stage pixel) along source y and x: the
    turned output pixel (sx wide along the turned x axis, sy along the turned y) measured
    along each source axis, root-sum-square (sx, sy at 0 and 180 degrees, swapped at 90 and
    270, equal steps at any angle unchanged), at least 1 (an axis that grows is kept)."""
    c, s = _cos_sin(angle)
    return max(math.hypot(s * sx, c * sy), 1.0), max(math.hypot(c * sx, s * sy), 1.0)


def preprocess_rotated(
    arr: np.ndarray[Any, Any], geom: Any, ch: int, cw: int, angle: float, interpolation: str,
    antialias: bool, fill: Any, mean: Any, std: Any, scale: Any, dtype: Any, layout: Any,
    out: Any, raw_out: bool = False,
) -> Any:  # fmt: skip
    """preprocess with ``angle``: the source sampled through :func:`rotated_map` by
    :func:`warp_affine`'s default convention (bilinear or nearest; ``fill`` where a sample is
    outside the image). With ``antialias`` and a downscale (a step above 1 on an axis), bilinear
    samples a first stage instead of the source: the region the turned output reads (its
    bounding box widened by two steps and 2 pixels, clipped to the image) resized with the
    antialiased filter (float32 levels, not rounded) by 1 / step along each source axis, the
    steps those of the turned output pixel (:func:`_first_stage_steps`), its grid placed
    through output pixel (0, 0)'s position (so at 0, 90, 180 and 270 degrees the first stage's
    pixels are the output's), so each output pixel averages the source pixels it covers."""
    m, sy, sx = rotated_map(geom, ch, cw, angle)
    axes = (int(geom.flip), int(geom.vflip))
    # (preprocess warns about mean / std that cannot describe the image: the source's range)
    extra: dict[str, Any] = {"flip": axes, "raw_out": raw_out, "warn": False}
    if interpolation == "nearest" or not antialias or (sy <= 1.0 and sx <= 1.0):
        return _run(arr, m, ch, cw, interpolation, None, fill, mean, std, scale, dtype, layout,
                    out, **extra)  # fmt: skip
    u8_out = dtype is not None and _out_dtype(dtype) == "uint8"
    if u8_out:  # the checks the core makes on the other paths, before the work
        _check_u8_rotated(arr, mean, std, scale, out, ch, cw, layout)
    # the fill in the image's units (rounded for integer images) before the float32 stage
    fills = _fill_values(fill, arr)
    h, w = int(arr.shape[0]), int(arr.shape[1])
    corners = [(x, y) for x in (-0.5, cw - 0.5) for y in (-0.5, ch - 0.5)]
    us = [m[0] * x + m[1] * y + m[2] for x, y in corners]
    vs = [m[3] * x + m[4] * y + m[5] for x, y in corners]
    ky, kx = _first_stage_steps(angle, sy, sx)

    def span(
        lo: float, hi: float, k: float, phase: float, n: int
    ) -> tuple[int, float, int, int, float]:
        """One axis of the first stage: its box [a, a + length) in source pixels (covering
        lo..hi, two steps and 2 pixels more each way, clipped to the image), the shift that
        puts its grid through `phase` (a sample position: first-stage pixel j lies at
        (j + 0.5) k - 0.5 + a + shift), its pixel count and its step k (1: the axis kept, the
        source's own pixels)."""
        if k > 1.0:
            lo_want, hi_want = lo - 2.0 * k - 2.0, hi + 2.0 * k + 2.0
            first = max(lo_want, -0.5)  # where the first sample may lie
            origin = phase - math.floor((phase - first) / k) * k  # a sample position >= first
            if lo_want < -0.5 and origin > 0.0:
                # one sample before the image's first pixel (its window still reaches pixel
                # 0): between it and the next, positions inside the image read the image
                origin -= k
            count = max(1, math.floor((min(hi_want, n - 0.5) - origin) / k) + 1)
            if hi_want > n - 0.5 and origin + (count - 1) * k < n - 1.0:
                count += 1  # likewise one past the last pixel
            start = origin - 0.5 * k + 0.5  # a + shift
            ak = min(max(round(start), 0), n - 1)
            bk = min(max(math.ceil(hi_want), ak + 1), n)
            return ak, start - ak, bk - ak, count, k
        a = min(max(math.floor(lo) - 2, 0), n - 1)
        b = min(max(math.ceil(hi) + 3, a + 1), n)
        return a, 0.0, b - a, b - a, 1.0

    left, shift_x, bw, rw, kx = span(min(us), max(us), kx, m[2], w)
    top, shift_y, bh, rh, ky = span(min(vs), max(vs), ky, m[5], h)
    from ._resize import Geometry  # (the resize module imports this one)

    # The stage's pixels are the first rh x rw of a resize to (rh + 1, rw + 1) where it would
    # have the box's own size: the core copies an axis whose size does not change (torch's
    # rule for factors), which would drop the factor and the shift of the grid.
    g1 = Geometry(
        top, left, bh, bw, rh + (ky > 1.0 and rh == bh), rw + (kx > 1.0 and rw == bw), 0, 0, 0,
        0, 1.0 / ky if ky > 1.0 else 0.0, 1.0 / kx if kx > 1.0 else 0.0, shift_y, shift_x,
    )  # fmt: skip
    mid = _core.preprocess(
        [arr], [g1], rh, rw, True, None, 0.0, 1.0, 1.0, None, False, dtype="float32",
        layout="HWC",
    )  # fmt: skip
    # first-stage pixel J lies at source (J + 0.5) k - 0.5 + left + shift
    ox, oy = left + shift_x, top + shift_y
    m2 = [
        m[0] / kx, m[1] / kx, (m[2] + 0.5 - ox) / kx - 0.5,
        m[3] / ky, m[4] / ky, (m[5] + 0.5 - oy) / ky - 0.5,
    ]  # fmt: skip
    if u8_out:
        # the core's warp writes uint8 from uint8 images only: the float32 levels rounded half
        # to even and saturated, as every uint8 output of the default convention
        levels = _run(
            mid, m2, ch, cw, "bilinear", None, fills, 0.0, 1.0, 1.0, None, layout, None, **extra
        )
        q = np.clip(np.rint(levels), 0, 255).astype(np.uint8)
        if out is None:
            return q
        out[...] = q
        return out
    return _run(mid, m2, ch, cw, "bilinear", None, fills, mean, std, scale, dtype, layout, out,
                **extra)  # fmt: skip


def _check_u8_rotated(
    arr: np.ndarray[Any, Any], mean: Any, std: Any, scale: Any, out: Any, ch: int, cw: int,
    layout: Any,
) -> None:  # fmt: skip
    """uint8 output of the first-stage path: the rules the core applies on the others (uint8
    images, no normalization, ``out`` a writable C-contiguous uint8 array of the shape)."""
    if arr.dtype != np.uint8:
        raise ValueError(
            f"dtype: uint8 output is for uint8 images (levels, rounded); this image is {arr.dtype}"
        )
    ms = np.asarray(mean, dtype=np.float64).reshape(-1)
    ss = np.asarray(1.0 if std is None else std, dtype=np.float64).reshape(-1)
    if (ms != 0).any() or (ss != 1).any() or (scale is not None and float(scale) != 1.0):
        raise ValueError(UINT8_RULE)
    if out is None:
        return
    c = int(arr.shape[2]) if arr.ndim == 3 else 1
    shape = (c, ch, cw) if _layout(layout) == "CHW" else (ch, cw, c)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out: expected a numpy array, got {type(out).__name__}")
    if out.dtype != np.uint8:
        raise TypeError(f"out: expected dtype uint8, got {out.dtype}")
    if tuple(out.shape) != shape:
        raise ValueError(f"out: expected shape {shape}, got {tuple(out.shape)}")
    if not out.flags.c_contiguous:
        raise ValueError("out: must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError("out: is read-only")
