"""hypothesis strategies: images of every layout pixnorm accepts, as awkward views."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

Array = np.ndarray[Any, Any]

VIEW_KINDS = (
    "contiguous",
    "crop",  # a window inside a larger array
    "flip_y",  # img[::-1]
    "flip_x",  # img[:, ::-1]
    "flip_c",  # img[..., ::-1] (BGR <-> RGB)
    "transposed",  # img.transpose(1, 0, 2): pixels are not adjacent in memory
    "step2",  # img[::2, ::2]
    "unaligned",  # data pointer at an odd address
)


def fill(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, specials: bool) -> Array:
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    if np.dtype(dtype) == np.uint16:  # the extremes often: saturation and exactness
        x = rng.integers(0, 65536, size=shape, dtype=np.uint16)
        if x.size:
            flat = x.reshape(-1)
            flat[rng.integers(0, flat.size, size=max(1, flat.size // 10))] = 65535
        return x
    x = rng.normal(0.0, 100.0, size=shape).astype(np.float32)
    if specials and x.size:
        flat = x.reshape(-1)
        picks = rng.integers(0, flat.size, size=max(1, flat.size // 50))
        flat[picks] = rng.choice(
            np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30], np.float32), size=picks.size
        )
    return x


def make_view(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, kind: str, specials: bool = False
) -> Array:
    """An array of `shape` whose memory layout is `kind`; the last three axes are (H, W, C) or
    the last two (H, W)."""
    hw = len(shape) - (2 if len(shape) == 2 else 3)  # index of the H axis
    if kind == "contiguous":
        return fill(rng, shape, dtype, specials)
    if kind == "unaligned":
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        buf = np.zeros(n + 1, np.uint8)
        view = buf[1:].view(dtype).reshape(shape)
        view[...] = fill(rng, shape, dtype, specials)
        return view
    if kind == "crop":
        big = list(shape)
        big[hw] += 3
        big[hw + 1] += 5
        parent = fill(rng, tuple(big), dtype, specials)
        idx = [slice(None)] * len(shape)
        idx[hw] = slice(1, 1 + shape[hw])
        idx[hw + 1] = slice(2, 2 + shape[hw + 1])
        return parent[tuple(idx)]
    if kind in ("flip_y", "flip_x", "flip_c"):
        axis = {"flip_y": hw, "flip_x": hw + 1, "flip_c": len(shape) - 1}[kind]
        idx = [slice(None)] * len(shape)
        idx[axis] = slice(None, None, -1)
        return fill(rng, shape, dtype, specials)[tuple(idx)]
    if kind == "transposed":
        swapped = list(shape)
        swapped[hw], swapped[hw + 1] = swapped[hw + 1], swapped[hw]
        axes = list(range(len(shape)))
        axes[hw], axes[hw + 1] = axes[hw + 1], axes[hw]
        return fill(rng, tuple(swapped), dtype, specials).transpose(axes)
    if kind == "step2":
        big = list(shape)
        big[hw] *= 2
        big[hw + 1] *= 2
        idx = [slice(None)] * len(shape)
        idx[hw] = slice(None, None, 2)
        idx[hw + 1] = slice(None, None, 2)
        return fill(rng, tuple(big), dtype, specials)[tuple(idx)]
    raise ValueError(kind)


@st.composite
def images(draw: st.DrawFn, max_h: int = 12, max_w: int = 70) -> Array:
    """uint8 or float32 images, (H, W), (H, W, C) or (N, H, W, C), C in 1..5, any layout."""
    dtype = draw(st.sampled_from([np.uint8, np.float32]))
    layout = draw(st.sampled_from(["hw", "hwc", "hwc", "nhwc"]))
    h = draw(st.integers(1, max_h))
    w = draw(
        st.one_of(st.integers(1, max_w), st.sampled_from([15, 16, 17, 31, 32, 33, 63, 64, 65]))
    )
    c = draw(st.sampled_from([1, 2, 3, 3, 4, 4, 5]))
    shape: tuple[int, ...]
    if layout == "hw":
        shape = (h, w)
    elif layout == "hwc":
        shape = (h, w, c)
    else:
        shape = (draw(st.integers(1, 3)), h, w, c)
    kind = draw(st.sampled_from(VIEW_KINDS))
    if layout == "hw" and kind == "flip_c":
        kind = "flip_x"
    seed = draw(st.integers(0, 2**32 - 1))
    specials = dtype == np.float32 and draw(st.booleans())
    return make_view(np.random.default_rng(seed), shape, dtype, kind, specials)


def channel_params(channels: int) -> st.SearchStrategy[tuple[Any, Any, float]]:
    """(mean, std, scale): scalars or per-channel lists."""
    mean_v = st.floats(-300.0, 300.0, allow_nan=False)
    std_v = st.floats(1e-3, 1e3, allow_nan=False)
    per = st.tuples(
        st.one_of(mean_v, st.lists(mean_v, min_size=channels, max_size=channels)),
        st.one_of(std_v, st.lists(std_v, min_size=channels, max_size=channels)),
        st.one_of(st.just(1 / 255), st.just(1.0), st.floats(-10.0, 10.0, allow_nan=False)),
    )
    return per
