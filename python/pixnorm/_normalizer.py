"""pixnorm.Normalizer: mean and std whose per-pixel coefficients are computed once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._args import _is_per_pixel, _pixel_affine, _real, _values

Array = np.ndarray[Any, Any]

_CACHE_SIZE = 8  # (scale, image shape) pairs kept per Normalizer


class Normalizer:
    """mean and std (per channel or per pixel) and a scale, for reuse across calls.

    With per-pixel mean/std (a "mean image", e.g. ``RunningStats(per_pixel=True).mean_image``)
    every call of :func:`pixnorm.normalize` or :func:`pixnorm.preprocess` computes the
    coefficients ``a = float32(scale / std)`` and ``b = float32(-mean / std)`` for every
    element, in float64, which costs far more than the normalization itself (about 450 us at
    224x224x3, against 36 us for the pass). A Normalizer computes them on first use for an
    image shape and scale and keeps them (the last 8 shapes), so later calls cost only the
    pass. The bits are those of passing ``mean`` and ``std`` directly.

    Pass it as ``mean`` (leaving ``std`` and ``scale`` out) to :func:`pixnorm.normalize`,
    :func:`pixnorm.preprocess`, :func:`pixnorm.preprocess_batch` and
    :class:`pixnorm.Collate`, or call it: ``norm(image)`` is ``pixnorm.normalize(image,
    norm)``.

    Parameters
    ----------
    mean, std : float, sequence of float, or array
        As :func:`pixnorm.normalize`: per channel, or per pixel ((H, W, C) or (C, H, W) of the
        output). ``std`` must be > 0 and both finite.
    scale : float, optional
        As :func:`pixnorm.normalize`; None: 1/255 for uint8 images, 1.0 for float32.

    A Normalizer is immutable (``mean`` and ``std`` are read-only copies: the coefficients it
    keeps stay theirs), thread-safe and picklable (without its cached coefficients).
    """

    __slots__ = ("_cache", "_mean", "_scale", "_std")

    def __init__(self, mean: Any, std: Any, *, scale: float | None = None) -> None:
        self._mean: Any = self._frozen(mean, "mean")
        self._std: Any = self._frozen(std, "std")
        self._scale: float | None = None if scale is None else _real(scale, "scale")
        if self._scale is not None and not math.isfinite(self._scale):
            raise ValueError(f"scale: expected a finite number, got {self._scale}")
        if not (np.asarray(self._std) > 0).all():
            raise ValueError("std: expected values > 0")
        self._cache: dict[tuple[float, tuple[int, ...]], tuple[Array, Array]] = {}

    @staticmethod
    def _frozen(value: Any, name: str) -> Any:
        """mean or std checked (real, finite as float32) and kept as a read-only copy (an array)
        or as given (a float, or a tuple of floats for a sequence)."""
        value = _values(value, name)
        try:
            v = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name}: expected a number, one per channel, or an array of numbers"
            ) from None
        if not np.isfinite(v).all() or (np.abs(v) > np.finfo(np.float32).max).any():
            raise ValueError(f"{name}: expected values finite as float32")
        if isinstance(value, np.ndarray) or v.ndim >= 2:
            v.setflags(write=False)
            return v
        if v.ndim == 1:
            return tuple(float(x) for x in v)
        return float(v)

    @property
    def mean(self) -> Any:
        """The mean: a float, a tuple of floats (one per channel) or a read-only array."""
        return self._mean

    @property
    def std(self) -> Any:
        """The std: a float, a tuple of floats (one per channel) or a read-only array."""
        return self._std

    @property
    def scale(self) -> float | None:
        """The scale, or None: 1/255 for uint8 images, 1.0 for float32."""
        return self._scale

    @property
    def per_pixel(self) -> bool:
        """True when mean or std is a per-pixel array."""
        return _is_per_pixel(self.mean, self.std)

    def _coefficients(self, hwc: Array, scale: float) -> tuple[Array, Array]:
        """(a, b) as float32 (C, H, W) for images shaped like `hwc` ((H, W, C), (H, W) or
        (N, H, W, C)): computed once per (scale, shape), read-only."""
        shape = hwc.shape[-3:] if hwc.ndim >= 3 else (*hwc.shape, 1)
        key = (scale, tuple(int(d) for d in shape))
        hit = self._cache.get(key)
        if hit is None:
            a, b = _pixel_affine(hwc, self.mean, self.std, scale)
            a.setflags(write=False)
            b.setflags(write=False)
            hit = (a, b)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)), None)
            self._cache[key] = hit
        return hit

    def __call__(
        self,
        image: Any,
        *,
        out: Any = None,
        channels_last: bool = False,
        dtype: Any = None,
        layout: str = "CHW",
    ) -> np.ndarray[Any, Any]:
        """``pixnorm.normalize(image, self, out=out, channels_last=channels_last, dtype=dtype,
        layout=layout)``."""
        from . import normalize

        return normalize(
            image, self, out=out, channels_last=channels_last, dtype=dtype, layout=layout
        )

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            return f"array{np.shape(v)}" if np.ndim(v) >= 2 else repr(v)

        return f"Normalizer(mean={show(self.mean)}, std={show(self.std)}, scale={self.scale})"

    def __getstate__(self) -> tuple[Any, Any, float | None]:
        return (self._mean, self._std, self._scale)

    def __setstate__(self, state: tuple[Any, Any, float | None]) -> None:
        self._mean, self._std, self._scale = state
        for v in (self._mean, self._std):
            if isinstance(v, np.ndarray):
                v.setflags(write=False)
        self._cache = {}


def _unpack(
    mean: Any, std: Any, scale: Any, std_required: bool
) -> tuple[Normalizer | None, Any, Any]:
    """For a call given ``mean``, ``std`` (None: not given) and ``scale``: (the Normalizer or
    None, mean, std), with the Normalizer's values when ``mean`` is one (``std`` and ``scale``
    must then be left out: it holds them). Without one, a missing ``std`` is 1.0, or a
    TypeError where it is required."""
    if not isinstance(mean, Normalizer):
        if isinstance(mean, Mapping) and "mean" in mean:  # a preset given as the mean
            raise TypeError(
                "mean: got a dict with 'mean' (a preset such as pixnorm.presets.IMAGENET?): "
                "pass it as keyword arguments, **pixnorm.presets.IMAGENET"
            )
        if std is None:
            if std_required:
                raise TypeError("std: missing (or pass a pixnorm.Normalizer as mean)")
            std = 1.0
        return None, mean, std
    if std is not None:
        raise TypeError("std: leave it out when mean is a pixnorm.Normalizer (it holds both)")
    if scale is not None:
        raise TypeError("scale: give it to the pixnorm.Normalizer, not to the call")
    return mean, mean.mean, mean.std
