"""Plain numpy references, slow and obviously correct, for checking pixnorm by eye."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def _as_nhwc(image: Array) -> tuple[Array, bool]:
    x = np.asarray(image)
    if x.ndim == 2:
        x = x[:, :, None]
    batch = x.ndim == 4
    return (x if batch else x[None]), batch


def _per_channel(v: Any, channels: int) -> Array:
    return np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1), (channels,))


def normalize(image: Array, mean: Any, std: Any, scale: float) -> Array:
    """The exact value in float64: (image * scale - mean[c]) / std[c], laid out (N,) C, H, W."""
    x, batch = _as_nhwc(image)
    c = x.shape[-1]
    with np.errstate(invalid="ignore"):  # inf * 0 -> nan, as IEEE says
        out = (x.astype(np.float64) * scale - _per_channel(mean, c)) / _per_channel(std, c)
    out = out.transpose(0, 3, 1, 2)
    return out if batch else out[0]


def normalize_float32_formula(image: Array, mean: Any, std: Any, scale: float) -> Array:
    """pixnorm's documented float32 arithmetic, step by step with numpy's IEEE float32 ops:
    a = f32(scale / std), b = f32(-mean / std) from float64; out = f32(f32(x) * a) + b."""
    x, batch = _as_nhwc(image)
    c = x.shape[-1]
    m, s = _per_channel(mean, c), _per_channel(std, c)
    a = (scale / s).astype(np.float32)
    b = (-m / s).astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        prod = x.astype(np.float32) * a  # float32 * float32 -> float32, one rounding
        out = prod + b  # one more rounding: never fused
    out = out.transpose(0, 3, 1, 2)
    return out if batch else out[0]


def normalize_error_bound(image: Array, mean: Any, std: Any, scale: float) -> Array:
    """Largest |pixnorm - exact| allowed, elementwise.

    With u = 2**-24 (float32 unit roundoff): rounding a and b to float32 and the product and the
    sum each contribute at most u times |x*a|, |b|, |x*a| and |x*a + b| <= |x*a| + |b|; the total
    is below 4u (|x*a| + |b|) = 2**-22 (|x*a| + |b|). Values below float32's normal range
    (2**-126) round to subnormals or zero with an absolute error up to 2**-150 instead: for a
    that error is multiplied by |x|, for b, the product and the sum it is added once each, so
    (|x| + 3) * 2**-150 more.
    """
    x, batch = _as_nhwc(image)
    c = x.shape[-1]
    m, s = _per_channel(mean, c), _per_channel(std, c)
    xf = np.abs(x.astype(np.float64))
    with np.errstate(invalid="ignore"):
        bound = 2.0**-22 * (xf * np.abs(scale / s) + np.abs(m / s)) + (xf + 3) * 2.0**-150
    bound = bound.transpose(0, 3, 1, 2)
    return bound if batch else bound[0]


def axis_scale(n_in: int, n_out: int, factor: float | None = None) -> float:
    """Source samples per output sample: in / out, or 1 / factor for a resize by a factor (an
    axis whose size does not change is copied, as torch skips it)."""
    return 1.0 / factor if factor and n_in != n_out else n_in / n_out


def _sinc(x: float) -> float:
    import math

    return 1.0 if x == 0.0 else math.sin(x * math.pi) / (x * math.pi)


# Pillow's hamming filter writes its constants as C floats (0.54f, 0.46f).
_F054, _F046 = float(np.float32(0.54)), float(np.float32(0.46))

# The filters of pixnorm.resize's interpolation= (Pillow's definitions): function, support.
FILTERS: dict[str, tuple[Any, float]] = {
    "bilinear": (lambda x: max(0.0, 1.0 - abs(x)), 1.0),
    "bicubic": (
        lambda x: (
            (1.5 * abs(x) - 2.5) * x * x + 1
            if abs(x) < 1
            else ((abs(x) - 5) * abs(x) + 8) * abs(x) * -0.5 + 2.0
            if abs(x) < 2
            else 0.0
        ),
        2.0,
    ),
    "lanczos": (lambda x: _sinc(x) * _sinc(x / 3) if -3.0 <= x < 3.0 else 0.0, 3.0),
    "box": (lambda x: 1.0 if -0.5 < x <= 0.5 else 0.0, 0.5),
    "hamming": (
        lambda x: (
            1.0
            if x == 0
            else 0.0
            if abs(x) >= 1
            else _sinc(x) * (_F054 + _F046 * __import__("math").cos(__import__("math").pi * x))
        ),
        1.0,
    ),
}


def resize_windows(
    n_in: int,
    n_out: int,
    antialias: bool,
    factor: float | None = None,
    interpolation: str = "bilinear",
) -> list[tuple[int, int]]:
    """The source samples [lo, hi) each output's filter window covers, from the definitions in
    pixnorm.resize (Pillow's window bounds with antialias; without, the two clamped neighbours
    for bilinear, the unscaled filter's window clamped to the image for the others)."""
    import math

    if interpolation == "area":
        return [(lo, hi) for lo, hi, _ in _area_windows(n_in, n_out, factor)]
    scale = axis_scale(n_in, n_out, factor)
    support = FILTERS[interpolation][1]
    out = []
    for i in range(n_out):
        if antialias:
            fs = max(scale, 1.0)
            centre = (i + 0.5) * scale
            s = support * fs
            out.append(
                (max(math.floor(centre - s + 0.5), 0), min(math.floor(centre + s + 0.5), n_in))
            )
        elif interpolation != "bilinear":
            centre = (i + 0.5) * scale
            lo = min(max(math.floor(centre - support + 0.5), 0), n_in - 1)
            hi = min(max(math.floor(centre + support + 0.5), lo + 1), n_in)
            out.append((lo, hi))
        else:
            x0 = math.floor((i + 0.5) * scale - 0.5)
            out.append((min(max(x0, 0), n_in - 1), min(max(x0 + 1, 0), n_in - 1) + 1))
    return out


def _area_windows(
    n_in: int, n_out: int, factor: float | None = None
) -> list[tuple[int, int, list[Any]]]:
    """Exact area integration in rational arithmetic: output i covers [i * s, (i + 1) * s)
    clipped to [0, n_in) (s = in / out exactly, or the float64 1 / factor), each source pixel
    [j, j + 1) weighted by its overlap over the covered length. (lo, hi, weights) per output."""
    import math
    from fractions import Fraction

    s = (
        Fraction(1.0 / factor) if factor and n_in != n_out else Fraction(n_in, n_out)
    )  # axis_scale, exactly
    out = []
    for i in range(n_out):
        a, b = max(i * s, Fraction(0)), min((i + 1) * s, Fraction(n_in))
        if b <= a:  # past the last pixel: the last pixel
            out.append((n_in - 1, n_in, [Fraction(1)]))
            continue
        lo, hi = math.floor(a), math.ceil(b)
        w = [min(b, j + 1) - max(a, Fraction(j)) for j in range(lo, hi)]
        out.append((lo, hi, [x / (b - a) for x in w]))
    return out


def resize_matrix(
    n_in: int,
    n_out: int,
    antialias: bool,
    factor: float | None = None,
    interpolation: str = "bilinear",
) -> Array:
    """(n_out, n_in) float64 weights of one axis, from the definitions in pixnorm.resize."""
    import math

    m = np.zeros((n_out, n_in))
    if interpolation == "area":
        for i, (lo, hi, w) in enumerate(_area_windows(n_in, n_out, factor)):
            m[i, lo:hi] = [float(x) for x in w]
        return m
    scale = axis_scale(n_in, n_out, factor)
    f, support = FILTERS[interpolation]
    for i, (lo, hi) in enumerate(resize_windows(n_in, n_out, antialias, factor, interpolation)):
        if antialias:  # Pillow's filters, support widened by the downscale factor
            fs = max(scale, 1.0)
            centre = (i + 0.5) * scale
            for j in range(lo, hi):
                m[i, j] = f((j - centre + 0.5) / fs)
            m[i] /= m[i].sum()
        elif interpolation != "bilinear":  # unscaled, samples past the edges on the edges
            centre = (i + 0.5) * scale
            for j in range(math.floor(centre - support + 0.5), math.floor(centre + support + 0.5)):
                m[i, min(max(j, lo), hi - 1)] += f(j - centre + 0.5)
            m[i] /= m[i].sum()
        else:  # bilinear, half-pixel centres, neighbours clamped to the edges
            src = (i + 0.5) * scale - 0.5
            f = src - math.floor(src)
            m[i, lo] += 1.0 - f
            m[i, hi - 1] += f
    return m


def resize(
    image: Array,
    out_h: int,
    out_w: int,
    antialias: bool,
    factor: tuple[float, float] | None = None,
    interpolation: str = "bilinear",
) -> Array:
    """Exact float64 resize of one (H, W) or (H, W, C) image, no rounding; `factor` (fy, fx):
    the grid of a resize by those factors."""
    x = np.asarray(image, dtype=np.float64)
    gray = x.ndim == 2
    if gray:
        x = x[:, :, None]
    fy, fx = factor if factor is not None else (None, None)
    my = resize_matrix(x.shape[0], out_h, antialias, fy, interpolation)
    mx = resize_matrix(x.shape[1], out_w, antialias, fx, interpolation)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.einsum("yh,hwc,xw->yxc", my, x, mx, optimize=True)  # one axis at a time
    return out[:, :, 0] if gray else out


def resize_error_bound(
    image: Array, out_h: int, out_w: int, antialias: bool, interpolation: str = "bilinear"
) -> Array:
    """|float32 resize - exact| allowed: each weight is rounded to float32 and each product and
    sum in both passes is rounded once (u = 2**-24 relative each); with at most `taps` terms per
    axis the error is below 2u (taps_y + taps_x + 2) times the resize of |x| with |weights|
    (negative weights of bicubic and lanczos filters cancel in the value, not in the error).
    Doubled for slack in this estimate of a sum of roundings. Plus bilinear_fixed_error for
    uint8 images."""
    fixed = bilinear_fixed_error(image, out_h, out_w, antialias, interpolation)
    x = np.abs(np.asarray(image, dtype=np.float64))
    gray = x.ndim == 2
    if gray:
        x = x[:, :, None]
    my = np.abs(resize_matrix(x.shape[0], out_h, antialias, None, interpolation))
    mx = np.abs(resize_matrix(x.shape[1], out_w, antialias, None, interpolation))
    ty = int((my > 0).sum(axis=1).max()) + 1
    tx = int((mx > 0).sum(axis=1).max()) + 1
    mag = np.einsum("yh,hwc,xw->yxc", my, x, mx, optimize=True)
    bound = 4 * 2.0**-24 * (tx + ty + 2) * mag + 2.0**-140 + fixed
    return bound[:, :, 0] if gray else bound


BILINEAR_BITS = 14  # pixnorm's fused bilinear kernel (kBilinearBits in kernels/table.hpp)
VERTICAL_BITS_MIN = 14  # pixnorm's integer vertical pass: at least 14 fractional bits


def bilinear_fixed_error(
    image: Array, out_h: int, out_w: int, antialias: bool, interpolation: str = "bilinear"
) -> float:
    """Extra error allowed for uint8 images, from pixnorm's fixed-point weights (0 for float
    images, which are all float32).
    - Every axis with at most 2 taps (no antialias, or upscaling): the fused 2 x 2 kernel's
      horizontal weights are fixed point, k0 + k1 = 2**14 with each within 2**-15 of the exact
      weight, so a horizontal sum k0 L + k1 R is off by at most 2**-15 |L - R| <= 2**-15 max|x|;
      the vertical pass (weights summing to 1) keeps that bound.
    - Wider filters: the vertical pass may run on the uint8 rows with integer weights of at least
      14 fractional bits, each within 2**-15 of the float weight: at most taps_y * 2**-15 max|x|
      (the horizontal pass, float32, keeps it: its weights sum to 1); pixnorm takes that pass
      only while its bound is at most 1/8 of a level (taps * 255 * 2**-(bits+1) <= 1/8), so
      never more than max|x| / 2040."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.size == 0:
        return 0.0
    my = resize_matrix(arr.shape[0], out_h, antialias, None, interpolation)
    mx = resize_matrix(arr.shape[1], out_w, antialias, None, interpolation)
    ty = int((my != 0).sum(axis=1).max())
    tx = int((mx != 0).sum(axis=1).max())
    if ty <= 2 and tx <= 2:
        return 2.0 ** -(BILINEAR_BITS + 1) * float(arr.max())
    # + 1: pixnorm's windows may hold one more (zero) weight than the nonzero count
    return min((ty + 1) * 2.0 ** -(VERTICAL_BITS_MIN + 1), 1.0 / 2040.0) * float(arr.max())


def _pixel_chw(v: Any, hwc: tuple[int, int, int]) -> Array:
    """Per-channel values or a per-pixel (H, W, C) / (C, H, W) array, as float64 (C, H, W)."""
    h, w, c = hwc
    a = np.asarray(v, dtype=np.float64)
    if a.ndim <= 1:
        return np.broadcast_to(np.broadcast_to(a.reshape(-1), (c,))[:, None, None], (c, h, w))
    try:
        return np.broadcast_to(a, (h, w, c)).transpose(2, 0, 1)
    except ValueError:
        return np.broadcast_to(a, (c, h, w))


def normalize_pixel(image: Array, mean: Any, std: Any, scale: float) -> Array:
    """The exact value in float64 with per-pixel parameters: (image * scale - mean) / std."""
    x, batch = _as_nhwc(image)
    hwc = x.shape[1:]
    m, s = _pixel_chw(mean, hwc), _pixel_chw(std, hwc)
    with np.errstate(invalid="ignore"):
        out = (x.astype(np.float64).transpose(0, 3, 1, 2) * scale - m) / s
    return out if batch else out[0]


def normalize_pixel_float32_formula(image: Array, mean: Any, std: Any, scale: float) -> Array:
    """a = f32(scale / std), b = f32(-mean / std) per element from float64; f32(x) * a + b."""
    x, batch = _as_nhwc(image)
    hwc = x.shape[1:]
    m, s = _pixel_chw(mean, hwc), _pixel_chw(std, hwc)
    a = (scale / s).astype(np.float32)
    b = (-m / s).astype(np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        out = x.astype(np.float32).transpose(0, 3, 1, 2) * a + b
    return out if batch else out[0]


def channel_stats(images: list[Array]) -> dict[str, Array]:
    """Per-channel count, mean, population variance (two-pass, float64), min and max of a list
    of (H, W), (H, W, C) or (N, H, W, C) images."""
    flat = [_as_nhwc(im)[0] for im in images]
    c = flat[0].shape[-1]
    x = np.concatenate([f.reshape(-1, c) for f in flat]).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf propagate
        return {
            "count": np.array(x.shape[0]),
            "mean": x.mean(axis=0),
            "var": x.var(axis=0),
            "min": x.min(axis=0),
            "max": x.max(axis=0),
        }


def exact_sums(images: list[Array]) -> tuple[list[int], list[int]]:
    """Per-channel sum and sum of squares of uint8 images as Python ints."""
    flat = [_as_nhwc(im)[0] for im in images]
    c = flat[0].shape[-1]
    x = np.concatenate([f.reshape(-1, c) for f in flat]).astype(object)
    return [int(v) for v in x.sum(axis=0)], [int(v) for v in (x * x).sum(axis=0)]


# ---- colour (issue 14) ---------------------------------------------------------------------------
# The definitions, written from their standards rather than from pixnorm: BT.601 luma, JPEG's
# full-range YCbCr (ITU-T T.871: Cb = (B - Y) / 1.772 + 128, Cr = (R - Y) / 1.402 + 128) and
# OpenCV's YUV (U = 0.492 (B - Y) + 128, V = 0.877 (R - Y) + 128); the offset is 128 for uint8
# and 0.5 for float images. rgb, bgr and gray3 of a gray image repeat it.
LUMA = (0.299, 0.587, 0.114)


def color_matrix(color: str, channels: int, dtype: Any) -> tuple[Array, Array]:
    """(M, offset): out = M @ rgb + offset, M of shape (out, in), in float64."""
    # the chroma offset: 128 for uint8, OpenCV's 32768 for uint16, 0.5 for floats
    off = {np.dtype(np.uint8): 128.0, np.dtype(np.uint16): 32768.0}.get(np.dtype(dtype), 0.5)
    if channels == 1:
        n = 1 if color == "gray" else 3
        return np.ones((n, 1)), np.zeros(n)
    y = np.array(LUMA)
    r, g, b = np.eye(3)
    rows = {
        "rgb": ([r, g, b], [0, 0, 0]),
        "bgr": ([b, g, r], [0, 0, 0]),
        "gray": ([y], [0]),
        "gray3": ([y, y, y], [0, 0, 0]),
        "ycbcr": ([y, (b - y) / 1.772, (r - y) / 1.402], [0, off, off]),
        "yuv": ([y, 0.492 * (b - y), 0.877 * (r - y)], [0, off, off]),
    }[color]
    return np.array(rows[0], dtype=np.float64), np.array(rows[1], dtype=np.float64)


def convert_color(image: Array, color: str) -> Array:
    """The exact float64 conversion of an (H, W) or (H, W, C) image (C = 1, 3 or 4): (H, W, out)."""
    x = np.asarray(image, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    c = x.shape[2]
    m, off = color_matrix(color, c, np.asarray(image).dtype)
    return np.einsum("ok,hwk->hwo", m, x[:, :, : m.shape[1]]) + off


def color_error_bound(image: Array, color: str, bound: Array, magnitude: Array) -> Array:
    """|float32 colour after the resize - exact| allowed, per output channel: the resize's
    errors (`bound`, per input channel) carried through |M|, plus the float32 matrix (each
    coefficient rounded once), products and sums (3 roundings and the offset's): u = 2**-24 each,
    at most 6u of sum_k |m_k| |v_k| + |offset|; `magnitude` is the resize of |x| (H, W, in)."""
    x = np.asarray(image)
    c = 1 if x.ndim == 2 else x.shape[2]
    m, off = color_matrix(color, c, x.dtype)
    k = m.shape[1]
    am = np.abs(m)
    carried = np.einsum("ok,hwk->hwo", am, bound[:, :, :k])
    size = np.einsum("ok,hwk->hwo", am, magnitude[:, :, :k]) + np.abs(off)
    return carried + 6 * 2.0**-24 * size


def warp_affine(
    image: Array, m: Any, out_h: int, out_w: int, interpolation: str, fill: Any
) -> Array:
    """pixnorm.warp_affine's definition (convention None) in float64, (out_h, out_w, C):
    output pixel (x, y) samples the source at u = (m0 x + m1 y) + m2, v = (m3 x + m4 y) + m5
    (OpenCV's inverse map, pixel centres at integers); nearest takes pixel (floor(u + 0.5),
    floor(v + 0.5)); bilinear weighs the four pixels around (u, v) by the exact fractions. A
    sample outside the image is `fill` (one value per channel)."""
    m = [float(v) for v in np.asarray(m, dtype=np.float64).reshape(-1)]
    xs = np.arange(out_w, dtype=np.float64)[None, :]
    ys = np.arange(out_h, dtype=np.float64)[:, None]
    u = np.broadcast_to((m[0] * xs + m[1] * ys) + m[2], (out_h, out_w))
    v = np.broadcast_to((m[3] * xs + m[4] * ys) + m[5], (out_h, out_w))
    return _warp_sample(image, u, v, interpolation, fill)


def _warp_sample(image: Array, u: Array, v: Array, interpolation: str, fill: Any) -> Array:
    """The float64 sampling of warp_affine / warp_polar at positions (u, v), (h, w, C)."""
    x = np.asarray(image, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    h, w, c = x.shape
    f = np.broadcast_to(np.asarray(fill, dtype=np.float64).reshape(-1), (c,))

    def sample(iy: Array, ix: Array) -> Array:
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        vals = x[np.clip(iy, 0, h - 1).astype(np.int64), np.clip(ix, 0, w - 1).astype(np.int64)]
        return np.where(inside[..., None], vals, f)

    with np.errstate(invalid="ignore"):
        if interpolation == "nearest":
            return sample(np.floor(v + 0.5), np.floor(u + 0.5))
        fu, fv = np.floor(u), np.floor(v)
        fx, fy = (u - fu)[..., None], (v - fv)[..., None]
    return (
        (1 - fx) * (1 - fy) * sample(fv, fu)
        + fx * (1 - fy) * sample(fv, fu + 1)
        + (1 - fx) * fy * sample(fv + 1, fu)
        + fx * fy * sample(fv + 1, fu + 1)
    )


def warp_polar(
    image: Array,
    out_h: int,
    out_w: int,
    center: tuple[float, float],
    max_radius: float,
    interpolation: str,
    fill: Any,
    log: bool = False,
    inverse: bool = False,
) -> Array:
    """pixnorm.warp_polar's definition (convention None) in float64, (out_h, out_w, C), the
    elementary functions from Python's math module. Forward: output (x, y) samples the source at
    center + rho (cos phi, sin phi), phi = 2 pi y / out_h, rho = max_radius x / out_w (computed
    as each row's affine map, (max_radius / out_w cos phi) x + cx) or with log
    exp(ln(max_radius) x / out_w) - 1. Inverse: output (x, y) at distance rho = sqrt(dx^2 +
    dy^2) and angle phi in [0, 2 pi) from the centre samples the polar image (H x W) at column
    rho W / max_radius (log: ln(rho + 1) W / ln(max_radius)) and row phi H / (2 pi), the rows
    wrapping (a copy with the last row above and the first below, read one row down)."""
    cx, cy = center
    two_pi = 2.0 * math.pi
    vec = np.frompyfunc
    if not inverse:
        kmag = (math.log(max_radius) if log else max_radius) / out_w
        xs = np.arange(out_w, dtype=np.float64)
        rho = np.array([math.exp(x * kmag) - 1.0 if log else x * kmag for x in xs])
        phi = np.array([two_pi / out_h * y for y in range(out_h)])
        cos = vec(math.cos, 1, 1)(phi).astype(np.float64)[:, None]
        sin = vec(math.sin, 1, 1)(phi).astype(np.float64)[:, None]
        if log:
            u = cx + rho[None, :] * cos
            v = cy + rho[None, :] * sin
        else:  # each row's affine map: (max_radius / out_w * cos phi) x + cx
            u = ((kmag * cos) * xs[None, :] + 0.0) + cx
            v = ((kmag * sin) * xs[None, :] + 0.0) + cy
        return _warp_sample(image, u, v, interpolation, fill)
    x = np.asarray(image)
    x = x[:, :, None] if x.ndim == 2 else x
    h, w = x.shape[:2]
    wrapped = np.concatenate([x[-1:], x, x[:1]], axis=0)
    kangle = two_pi / h
    kmag = (math.log(max_radius) if log else max_radius) / w
    dx = np.arange(out_w, dtype=np.float64)[None, :] - cx
    dy = np.arange(out_h, dtype=np.float64)[:, None] - cy
    dx, dy = np.broadcast_arrays(dx, dy)
    d = np.sqrt(dx * dx + dy * dy)  # (each step correctly rounded, as the core computes it)
    phi = vec(math.atan2, 2, 1)(dy, dx).astype(np.float64)
    phi = np.where(phi < 0, phi + two_pi, phi)
    u = (vec(math.log1p, 1, 1)(d).astype(np.float64) if log else d) / kmag
    v = phi / kangle + 1.0
    return _warp_sample(wrapped, u, v, interpolation, fill)


def warp_error_bound(image: Array, fill: Any) -> float:
    """|float32 warp - exact| allowed for convention None (values before normalization): each
    of the four weights is rounded to float32 (the four still sum to 1 within 4u), each product
    and each of the three sums rounded once: below 12u times the largest |sample|, u = 2**-24;
    doubled for slack."""
    big = max(float(np.abs(np.asarray(image, dtype=np.float64)).max(initial=0.0)),
              float(np.abs(np.asarray(fill, dtype=np.float64)).max(initial=0.0)))  # fmt: skip
    return 24 * 2.0**-24 * big + 2.0**-140


def rotated_preprocess(
    image: Array,
    box: tuple[int, int, int, int],
    resized: tuple[int, int],
    crop_offset: tuple[int, int],
    out_hw: tuple[int, int],
    angle: float,
    interpolation: str,
    fill: Any,
) -> Array:
    """preprocess(angle=...)'s definition without a first stage (antialias off, or no axis
    shrinking), float64, (h, w, C) levels before normalization. Output pixel (x, y) first lies
    where the resize samples it: with s = box side / resized side per axis,
    p = ((x + crop_left + 0.5) s_x - 0.5 + box_left, (y + crop_top + 0.5) s_y - 0.5 + box_top)
    (pixel centres at integers). The centre c is p of the output's middle, ((w - 1) / 2,
    (h - 1) / 2). p turns about c by `angle` degrees (counter-clockwise on screen, y down):
    u = c_x + cos a (p_x - c_x) - sin a (p_y - c_y),
    v = c_y + sin a (p_x - c_x) + cos a (p_y - c_y),
    and the source is sampled at (u, v) as warp_affine samples it (fill outside).
    interpolation="positions": (u, v) themselves, (2, h, w)."""
    top, left, bh, bw = box
    rh, rw = resized
    ct, cl = crop_offset
    oh, ow = out_hw
    sy, sx = bh / rh, bw / rw
    x = np.arange(ow, dtype=np.float64)[None, :]
    y = np.arange(oh, dtype=np.float64)[:, None]
    px = np.broadcast_to((x + cl + 0.5) * sx - 0.5 + left, (oh, ow))
    py = np.broadcast_to((y + ct + 0.5) * sy - 0.5 + top, (oh, ow))
    cx = ((ow - 1) / 2.0 + cl + 0.5) * sx - 0.5 + left
    cy = ((oh - 1) / 2.0 + ct + 0.5) * sy - 0.5 + top
    a = math.radians(angle)
    u = cx + math.cos(a) * (px - cx) - math.sin(a) * (py - cy)
    v = cy + math.sin(a) * (px - cx) + math.cos(a) * (py - cy)
    if interpolation == "positions":
        return np.stack([u, v])
    return _warp_sample(image, u, v, interpolation, fill)
