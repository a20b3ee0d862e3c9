"""Adversarial, deterministic calls over pixnorm's public API (issue 11's generators, kept).

Usage: ``python _fuzz_worker.py SEED COUNT [START]`` makes calls START .. START+COUNT-1 of seed
SEED; call i draws everything from ``numpy.random.default_rng([SEED, i])``, so one call replays
alone (``python _fuzz_worker.py SEED 1 I``) and ``--describe`` prints a call without running it.
Run as a subprocess by test_fuzz.py: a crash ends this process, and the test names the last call.

Inputs: dtypes (uint8, float32 and wrong ones), shapes (zero-size, 1x1, 1xN, Nx1, odd widths,
1-5 channels, 2-D, 4-D), views (negative strides on any axis, transposes, steps, channel
subsets, stride-0 broadcasts, Fortran order, float32 misaligned by one byte, read-only),
objects that only offer ``__array__``, memoryviews, PIL images; sizes, crops, boxes, flips,
conventions, antialias, mean/std, scale and ``out=`` arrays, valid and not.

Oracle, per call:
- it returns, or raises TypeError, ValueError, OverflowError or MemoryError (the README's
  errors). Anything else is a defect: another exception (SystemError, RuntimeError, KeyError,
  ZeroDivisionError, AttributeError, a warning: warnings are errors here as under pytest),
  pybind11's "incompatible function arguments" TypeError (a binding that did not check its
  arguments), or a crash;
- a successful call on views gives the same bits as the call on ``np.ascontiguousarray`` copies
  (NaN compared as NaN: the sign and payload of a NaN made from inf - inf are not specified);
- ``out=`` is written only inside itself (it lies in a parent full of sentinels), a returned
  ``out`` is ``out`` and holds the bits of the call without ``out``; a bad ``out`` (wrong dtype
  or shape, non-contiguous, read-only, misaligned, overlapping the input) is refused;
- inputs are never written; a refused ``RunningStats.update`` leaves the statistics unchanged;
- spot checks of documented arithmetic: ``normalize``'s exact float32 formula, ``resized_size``
  and output shapes, uint8 statistics exact (sum / count, min, max), ``random_params`` boxes
  inside the image.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import math
import os
import pickle
import re
import resource
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import pixnorm
import pixnorm.transforms as T
from pixnorm import _core

ALLOWED = (TypeError, ValueError, OverflowError, MemoryError)
ISAS = _core._supported_isas()
SENTINEL = np.uint32(0x7FA5A5A5)  # a signalling NaN no computation produces
GUARD = 16  # sentinel elements on each side of a guarded out=


class Defect(Exception):
    """A broken oracle (not a pixnorm exception)."""


@dataclass
class Known:
    """A defect already reported: ``matches(api, message)`` recognises its failure."""

    name: str
    reproducer: str
    pattern: str  # a regex searched in "api: failure message"

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, re.S) is not None


# Defects found by this fuzzer and reported (issue 11), tolerated here until fixed: each
# entry's failures are counted and listed at the end instead of failing the run. Remove an
# entry when its fix lands; the fuzzer then checks that case again.
KNOWN_DEFECTS: list[Known] = []


def reseed(seed: int) -> None:
    """Seeds the generators pixnorm's random transforms draw from: torch's global generator
    when torch is importable (as torchvision's), else numpy's global one."""
    np.random.seed(seed)  # noqa: NPY002 (pixnorm draws from numpy's generator without torch)
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.manual_seed(seed)


# ---- values ------------------------------------------------------------------------------


class ArrayLike:
    """Offers only ``__array__`` (as a torch tensor does to numpy)."""

    def __init__(self, a: Any) -> None:
        self.a = a

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray[Any, Any]:
        a = np.asarray(self.a)
        return a if dtype is None else a.astype(dtype)

    def __repr__(self) -> str:
        return f"ArrayLike({show(self.a)})"


DESC: dict[int, str] = {}  # id(array) -> how it was made, for the repr of a call


def show(obj: Any) -> str:
    """A short repr: arrays by recipe, dtype, shape and strides (values when tiny)."""
    if isinstance(obj, np.ndarray):
        how = DESC.get(id(obj), "")
        vals = f" {obj.tolist()!r}" if obj.size <= 6 and obj.dtype != object else ""
        ro = "" if obj.flags.writeable else " read-only"
        return f"<{how or 'array'} {obj.dtype.str} {obj.shape} strides={obj.strides}{ro}{vals}>"
    if isinstance(obj, list):
        return "[" + ", ".join(show(o) for o in obj) + "]"
    if isinstance(obj, tuple):
        return "(" + ", ".join(show(o) for o in obj) + ("," if len(obj) == 1 else "") + ")"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, memoryview):
        return f"memoryview({obj.format} {obj.shape})"
    if type(obj).__module__.startswith("PIL."):
        return f"<PIL {obj.mode} {obj.size}>"
    if isinstance(obj, float | np.floating) and not math.isfinite(obj):
        return f"float({str(float(obj))!r})"
    return repr(obj)


def note(a: Any, how: str) -> Any:
    if isinstance(a, np.ndarray):
        DESC[id(a)] = how
    return a


def pick(rng: np.random.Generator, options: list[Any], weights: list[float] | None = None) -> Any:
    if weights is None:
        return options[int(rng.integers(len(options)))]
    p = np.asarray(weights, np.float64)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


SIDES = [0, 1, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 23, 31, 33, 40, 64, 65]
SIDE_W = [1, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1]
try:
    import ml_dtypes  # noqa: F401  (only whether it is there)

    HAVE_ML_DTYPES = True
except ImportError:  # depends on the environment
    HAVE_ML_DTYPES = False

WEIRD_DTYPES = ["float64", "int16", "bool", "complex64", "object", ">f4", ">u2", "float16", "int64"]


def values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray[Any, Any]:
    if dtype == "uint8":
        return rng.integers(0, 256, shape, dtype=np.uint8)
    if dtype == "uint16":
        return rng.integers(0, 65536, shape, dtype=np.uint16)
    if dtype in ("float32", ">f4"):
        v = pick(rng, ["unit", "wide", "special"], [5, 2, 2])
        if v == "unit":
            a = rng.random(shape, dtype=np.float32)
        elif v == "wide":
            a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 6)).astype(np.float32)
        else:
            a = rng.random(shape, dtype=np.float32)
            special = np.array(
                [np.nan, np.inf, -np.inf, -0.0, 1e-40, 3e38, -3e38, 255.0], np.float32
            )
            mask = rng.random(shape) < 0.1
            a[mask] = special[rng.integers(0, len(special), int(mask.sum()))]
        return a.astype(dtype)
    if dtype == "object":
        return np.array(rng.integers(0, 256, shape), dtype=object)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype == "complex64":
        return (rng.random(shape) + 1j * rng.random(shape)).astype(np.complex64)
    return rng.integers(0, 128, shape).astype(dtype)


def image_shape(rng: np.random.Generator, ndim: int | None = None) -> tuple[int, ...]:
    if ndim is None:
        ndim = pick(rng, [2, 3, 4, 1, 5], [15, 70, 12, 2, 1])
    h, w = (int(pick(rng, SIDES, SIDE_W)) for _ in range(2))
    c = int(pick(rng, [1, 2, 3, 4, 5], [3, 1, 5, 3, 1]))
    while h * w * c > 4000:
        h, w = max(1, h // 2), max(1, w // 2)
    if ndim == 2:
        return (h, w)
    if ndim == 3:
        return (h, w, c)
    if ndim == 4:
        return (int(pick(rng, [0, 1, 2, 3], [1, 4, 4, 2])), h, w, c)
    if ndim == 1:
        return (w,)
    return (1, 1, h, w, c)


def view_of(rng: np.random.Generator, a: np.ndarray[Any, Any], dtype: str) -> Any:
    """``a`` (or a view or container of it) after 0-3 random view operations."""
    how = [dtype]
    for _ in range(int(pick(rng, [0, 1, 2, 3], [4, 4, 2, 1]))):
        op = pick(rng, ["flip", "transpose", "step", "channels", "crop", "broadcast", "fortran"])
        ax = int(rng.integers(a.ndim)) if a.ndim else 0
        if a.ndim == 0:
            break
        idx: list[Any] = [slice(None)] * a.ndim
        if op == "flip":
            idx[ax] = slice(None, None, -1)
            a, tag = a[tuple(idx)], f"flip{ax}"
        elif op == "transpose" and a.ndim >= 2:
            k = a.ndim - 3 if a.ndim >= 3 else 0
            axes = list(range(a.ndim))
            axes[k], axes[k + 1] = axes[k + 1], axes[k]
            a, tag = a.transpose(axes), "transpose"
        elif op == "step":
            step, start = int(pick(rng, [2, 3, -2])), int(rng.integers(0, 2))
            idx[ax] = slice(start, None, step)
            a, tag = a[tuple(idx)], f"step{ax}:{start}::{step}"
        elif op == "channels" and a.ndim >= 3:
            sl = pick(
                rng, [slice(None, None, 2), slice(1, None), slice(None, 1), slice(None, None, -2)]
            )
            a, tag = a[..., sl], f"channels[{sl.start}:{sl.stop}:{sl.step}]"
        elif op == "crop" and a.shape[ax] > 2:
            idx[ax] = slice(1, -1)
            a, tag = a[tuple(idx)], f"crop{ax}"
        elif op == "broadcast" and a.shape[ax] > 0:
            idx[ax] = slice(0, 1)
            a, tag = np.broadcast_to(a[tuple(idx)], a.shape), f"broadcast{ax}"
        elif op == "fortran":
            a, tag = np.asfortranarray(a), "fortran"
        else:
            continue
        how.append(tag)
    if a.dtype == np.float32 and a.size and rng.random() < 0.1:  # misaligned by one byte
        buf = np.zeros(a.nbytes + 1, np.uint8)
        m = buf[1:].view(np.float32).reshape(a.shape)
        m[...] = a
        a = m
        how.append("misaligned")
    if rng.random() < 0.1:
        a = a.view()
        a.flags.writeable = False
        how.append("read-only")
    note(a, " ".join(how))
    kind = pick(rng, ["array", "arraylike", "memoryview"], [20, 1, 1])
    if kind == "arraylike":
        return ArrayLike(a)
    if kind == "memoryview" and a.dtype.kind in "uf" and a.flags.c_contiguous and a.ndim:
        return memoryview(a)
    return a


def image(
    rng: np.random.Generator, dtype: str | None = None, ndim: int | None = None, weird: float = 0.1
) -> Any:
    if dtype is None:
        dtype = pick(rng, ["uint8", "float32", "uint16", "weird"], [60, 30, 8, 100 * weird])
        if dtype == "weird":
            dtype = pick(rng, WEIRD_DTYPES)
    return view_of(rng, values(rng, image_shape(rng, ndim), dtype), dtype)


def side(rng: np.random.Generator) -> Any:
    """A side length: mostly valid, sometimes zero, negative, huge, float, bool, numpy."""
    k = pick(rng, ["ok", "numpy", "edge", "bad"], [70, 10, 10, 10])
    v = int(rng.integers(1, 24))
    if k == "ok":
        return v
    if k == "numpy":
        return pick(rng, [np.int64(v), np.uint8(v), np.array(v), np.int32(-v)])
    if k == "edge":
        # no valid 2**24: an image of that side costs gigabytes (refused sizes cost nothing)
        return pick(rng, [1, 0, -1, 2**24 + 1, 2**31, 2**63, 2**70, 10**400])
    return pick(rng, [float(v), True, False, "5", None, 3.5, np.float32(4), ArrayLike(v), 1j])


def size_arg(rng: np.random.Generator) -> Any:
    k = pick(rng, ["int", "pair", "list", "one", "array", "bad"], [40, 30, 8, 5, 7, 10])
    if k == "int":
        return side(rng)
    if k == "pair":
        return (side(rng), side(rng))
    if k == "list":
        return [side(rng), side(rng)]
    if k == "one":
        return [side(rng)]
    if k == "array":
        return pick(rng, [np.array([3, 4]), np.array([5]), np.array(6), np.zeros((2, 2), int)])
    return pick(rng, [(), (1, 2, 3), "ab", {1: 2}, None, ArrayLike([4, 5]), (2.5, 3)])


def box_arg(rng: np.random.Generator, h: int, w: int) -> Any:
    k = pick(rng, ["ok", "edge", "bad"], [70, 15, 15])
    if k == "ok" and h > 0 and w > 0:
        t, left = int(rng.integers(0, h)), int(rng.integers(0, w))
        b = [t, left, int(rng.integers(1, h - t + 1)), int(rng.integers(1, w - left + 1))]
        return pick(rng, [tuple(b), b, np.array(b), ArrayLike(b), tuple(np.int64(x) for x in b)])
    if k in ("ok", "edge"):
        return pick(
            rng,
            [
                (0, 0, h, w),
                (0, 0, h + 1, w),
                (-1, 0, 1, 1),
                (0, 0, 0, 1),
                (h, w, 1, 1),
                (0, 0, 2**31, 2**31),
                (0, 0, 1, -1),
                (0, w - 1, 1, 1),
                (2**63, 0, 1, 1),
            ],
        )
    return pick(
        rng,
        [
            5,
            (0, 0, 1),
            (0, 0, 1, 1, 1),
            "abcd",
            (0.0, 0, 1, 1),
            (True, 0, 1, 1),
            None,
            np.zeros((2, 2)),
            [None] * 4,
        ],
    )


def convention_aa(rng: np.random.Generator) -> tuple[Any, Any]:
    conv = pick(rng, [None, "pillow", "torch", "opencv", "bad"], [4, 3, 3, 3, 1])
    if conv == "bad":
        conv = pick(rng, ["PILLOW", "", "cv2", 1, b"torch", 0.0])
    aa = pick(rng, [True, False, "bad"], [10, 10, 1])
    if aa == "bad":
        aa = pick(rng, [np.True_, np.False_, 1, 0, None, "yes"])
    elif conv == "pillow":
        aa = aa if rng.random() < 0.1 else True
    elif conv == "opencv":
        aa = aa if rng.random() < 0.1 else False
    return conv, aa


def mean_std(rng: np.random.Generator, c: int, hw: tuple[int, int]) -> tuple[Any, Any]:
    def one(is_std: bool) -> Any:
        k = pick(rng, ["scalar", "list", "wrong", "pixel", "edge", "bad"], [30, 30, 8, 10, 12, 6])
        base = 0.2 + rng.random(max(c, 1)) if is_std else rng.random(max(c, 1)) * 2 - 0.5
        if k == "scalar":
            return pick(rng, [float(base[0]), int(1 + rng.integers(3)), np.float32(base[0])])
        if k == "list":
            return pick(
                rng, [base.tolist(), tuple(base), base, base.astype(np.float32), ArrayLike(base)]
            )
        if k == "wrong":
            n = int(pick(rng, [0, 2, 4, 6]))
            return (0.5 + rng.random(n)).tolist()
        if k == "pixel":
            h, w = hw
            shape = pick(
                rng,
                [
                    (h, w, c),
                    (c, h, w),
                    (h, w, 1),
                    (c, 1, 1),
                    (1, 1, c),
                    (h, 1, c),
                    (h + 1, w, c),
                    (2, h, w, c),
                    (1, w, 1),
                ],
            )
            v = 0.25 + rng.random(shape) if is_std else rng.random(shape) - 0.5
            if rng.random() < 0.1:
                v = v.astype(np.float32)
            if rng.random() < 0.1 and v.size:
                v.flat[int(rng.integers(v.size))] = pick(rng, [0.0, -1.0, np.nan, np.inf])
            return note(v, "per-pixel")
        if k == "edge":
            return pick(
                rng,
                [
                    0.0,
                    -1.0,
                    np.nan,
                    np.inf,
                    -np.inf,
                    1e39,
                    1e-41,
                    1e-50,
                    1e30,
                    -1e30,
                    [1.0] * (c - 1) + [0.0],
                    2**64,
                    np.float64(1e300),
                ],
            )
        return pick(
            rng,
            [
                "0.5",
                None,
                1j,
                [0.5, "a"],
                True,
                [True] * c,
                [[0.5] * c],
                object(),
                np.array(["a"] * c),
                np.zeros((c, 1)),
            ],
        )

    return one(False), one(True)


def scale_arg(rng: np.random.Generator) -> Any:
    if rng.random() < 0.7:
        return None
    return pick(
        rng,
        [
            1.0,
            1 / 255,
            2,
            np.float32(0.5),
            0.0,
            -1.0,
            np.nan,
            np.inf,
            1e300,
            1e-45,
            True,
            "1",
            1j,
            np.int64(3),
            None,
        ],
    )


@dataclass
class OutSpec:
    """A placeholder for ``out=``, made once the output's shape is known (from a probe call)."""

    kind: str

    def __repr__(self) -> str:
        return f"<out {self.kind}>"


OUT_KINDS = [
    "right",
    "right",
    "right",
    "wrong_dtype",
    "wrong_shape",
    "noncontig",
    "readonly",
    "misaligned",
    "overlap",
    "list",
]


def out_arg(rng: np.random.Generator) -> Any:
    return OutSpec(pick(rng, OUT_KINDS)) if rng.random() < 0.35 else None


# ---- cases -------------------------------------------------------------------------------


@dataclass
class Case:
    api: str
    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    compare: bool = True  # the same call on contiguous copies must give the same bits
    check: Callable[[Case, Any], None] | None = None  # extra check of a successful result
    script: bool = False  # func runs a whole script and returns its outcomes

    def __repr__(self) -> str:
        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return f"{self.api}({', '.join(parts)})"


def hwc(img: Any) -> tuple[int, int, int]:
    a = np.asarray(img.a if isinstance(img, ArrayLike) else img)
    if a.ndim == 2:
        return int(a.shape[0]), int(a.shape[1]), 1
    if a.ndim >= 3:
        return int(a.shape[-3]), int(a.shape[-2]), int(a.shape[-1])
    return 1, 1, 1


COLOR_CHANNELS = {"rgb": 3, "bgr": 3, "gray": 1, "gray3": 3, "ycbcr": 3, "yuv": 3}


def color_arg(rng: np.random.Generator) -> Any:
    """A colour (issue 14): mostly none, each valid one, now and then a bad name or type."""
    return pick(rng, [None, *COLOR_CHANNELS, "grey", 3], [12, 1, 1, 1, 1, 1, 1, 0.3, 0.3])


def format_kw(rng: np.random.Generator, kw: dict[str, Any]) -> None:
    """Now and then an output dtype and layout (issue 14), valid ones and bad ones (bfloat16
    only where ml_dtypes is installed: without it, its ImportError is tested elsewhere)."""
    if rng.random() < 0.25:
        kw["dtype"] = pick(
            rng,
            [np.float16, "bfloat16", np.float32, np.uint8, "float64", "halfx", 3, None],
            [4, 4, 1, 3, 0.5, 0.5, 0.5, 0.5],
        )
        if kw["dtype"] == "bfloat16" and not HAVE_ML_DTYPES:
            kw["dtype"] = np.float16
    if rng.random() < 0.2:
        kw["layout"] = pick(rng, ["HWC", "CHW", "NHWC", "hwc", 1], [6, 2, 1, 0.5, 0.5])


def check_format(case: Case, result: Any) -> bool:
    """With dtype / layout: the result must be the call without them (float32, CHW; for
    uint8 output, scale 1 and the levels rounded) converted by numpy. True when checked."""
    kw = case.kwargs
    if "dtype" not in kw and "layout" not in kw:
        return False
    from pixnorm._args import _layout, _out_dtype  # noqa: PLC0415

    name, layout = _out_dtype(kw.get("dtype")), _layout(kw.get("layout", "CHW"))
    base_kw = {k: v for k, v in kw.items() if k not in ("dtype", "layout", "out")}
    if name == "uint8":
        base_kw["scale"] = 1.0
    with warnings.catch_warnings():  # the call itself has warned (or not) already
        warnings.simplefilter("ignore")
        base = case.func(*case.args, **base_kw)
    if isinstance(base, tuple):  # return_params
        base, result = base[0], result[0]
    if name == "uint8":
        want = np.clip(np.rint(base), 0, 255).astype(np.uint8)
    elif name == "float32":
        want = base
    else:
        from pixnorm._args import _bfloat16  # noqa: PLC0415  (ml_dtypes: drawn only with it)

        with np.errstate(over="ignore"):
            want = base.astype(np.float16 if name == "float16" else _bfloat16())
    if layout == "HWC":
        want = np.ascontiguousarray(np.moveaxis(want, -3, -1))
    if name == "bfloat16":  # NaN: torch's 0xFFFF, ml_dtypes' 0x7FC0; compare NaN as NaN
        nan = np.isnan(want.astype(np.float32))
        if not (np.isnan(result.astype(np.float32)) == nan).all():
            raise Defect(f"{case.api}: bfloat16 NaNs differ from the float32 result's")
        want, result = np.where(nan, 0, want), np.where(nan, 0, result)
    if not same_bits(want, result):
        raise Defect(f"{case.api}: {name} {layout} is not the float32 CHW result converted")
    return True


def gen_normalize(rng: np.random.Generator) -> Case:
    img = image(rng)
    h, w, c = hwc(img)
    color = color_arg(rng)
    mean, std = mean_std(rng, COLOR_CHANNELS.get(color, c), (h, w))
    kw: dict[str, Any] = {} if color is None else {"color": color}
    s = scale_arg(rng)
    if s is not None or rng.random() < 0.2:
        kw["scale"] = s
    o = out_arg(rng)
    if o is not None:
        kw["out"] = o
    format_kw(rng, kw)
    return Case("normalize", pixnorm.normalize, (img, mean, std), kw, check=check_normalize)


def gen_to_tensor(rng: np.random.Generator) -> Case:
    kw = {} if rng.random() < 0.6 else {"out": OutSpec(pick(rng, OUT_KINDS))}
    color = color_arg(rng)
    if color is not None:
        kw["color"] = color
    format_kw(rng, kw)
    return Case("to_tensor", pixnorm.to_tensor, (image(rng),), kw, check=check_normalize)


def factor_kw(rng: np.random.Generator) -> dict[str, Any]:
    """A scale factor (issue 15), valid or not, with a rounding now and then."""
    f = float(rng.uniform(0.05, 3.0))
    kw: dict[str, Any] = {
        "factor": pick(
            rng,
            [
                f,
                (f, float(rng.uniform(0.05, 3.0))),
                0.5,
                1 / 3,
                2.0,
                np.float32(0.7),
                0,
                -1.0,
                math.nan,
                math.inf,
                1e9,
                1e-9,
                "0.5",
                True,
                [0.5],
                (0.5, 0.5, 0.5),
            ],
            [8, 4, 2, 1, 1, 1] + [1] * 10,
        )  # fmt: skip
    }
    if rng.random() < 0.3:
        kw["rounding"] = pick(rng, ["floor", "round", "ceil", "up", 3])
    if rng.random() < 0.1:
        kw["exact_factor"] = pick(rng, [False, True, 1])
    return kw


def fit_kw(rng: np.random.Generator) -> dict[str, Any]:
    """A cover / letterbox fit (issue 15), valid or not."""
    kw: dict[str, Any] = {
        "fit": pick(rng, ["cover", "contain", "x", 3], [5, 5, 1, 1]),
        "size": pick(rng, [size_arg(rng), (side(rng), side(rng)), None], [4, 4, 1]),
    }
    if rng.random() < 0.5:
        kw["fill"] = pick(rng, [0, 255, 300, -5, 12.5, (1, 2, 3), (1, 2), math.nan, "a"])
    if rng.random() < 0.2:
        kw["return_params"] = pick(rng, [True, False, 1])
    return kw


def gen_resize(rng: np.random.Generator) -> Case:
    img = image(rng)
    conv, aa = convention_aa(rng)
    kw: dict[str, Any] = {"antialias": aa, "convention": conv}
    size = size_arg(rng)
    if rng.random() < 0.15:
        kw["max_size"] = pick(rng, [side(rng), 30, 64, None])
        size = pick(rng, [size, None, int(rng.integers(1, 20))])
    if rng.random() < 0.2:
        kw.update(factor_kw(rng))
        size = pick(rng, [None, size], [9, 1])
    color = color_arg(rng)
    if color is not None:
        kw["color"] = color
    o = out_arg(rng)
    if o is not None:
        kw["out"] = o
    return Case("resize", pixnorm.resize, (img, size), kw, check=check_resize)


def gen_resized_size(rng: np.random.Generator) -> Case:
    h = pick(
        rng, [int(rng.integers(1, 100)), 0, -3, 1, 2**40, 2.5, True, np.int64(7)], [10] + [1] * 7
    )
    w = pick(
        rng, [int(rng.integers(1, 100)), 0, -3, 1, 2**40, 2.5, True, np.int64(7)], [10] + [1] * 7
    )
    args: tuple[Any, ...] = (h, w, pick(rng, [size_arg(rng), None], [9, 1]))
    if rng.random() < 0.4:
        args = (*args, pick(rng, [side(rng), int(rng.integers(1, 200)), None]))
    return Case("resized_size", pixnorm.resized_size, args, check=check_resized_size)


def geometry_kw(rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if rng.random() < 0.7:
        kw["size"] = size_arg(rng)
    if rng.random() < 0.4:
        kw["crop"] = pick(rng, [side(rng), (side(rng), side(rng)), int(rng.integers(1, 8))])
    if rng.random() < 0.1:
        kw["max_size"] = pick(rng, [side(rng), 40])
    conv, aa = convention_aa(rng)
    kw["antialias"], kw["convention"] = aa, conv
    u = rng.random()
    if u < 0.12:
        kw.pop("size", None)
        kw.pop("max_size", None)
        kw.update(factor_kw(rng))
    elif u < 0.24:
        kw.pop("crop", None)
        kw.pop("max_size", None)
        kw.update(fit_kw(rng))
    return kw


def gen_preprocess(rng: np.random.Generator) -> Case:
    img = image(rng, ndim=pick(rng, [3, 2, 4], [8, 2, 1]))
    h, w, c = hwc(img)
    kw = geometry_kw(rng, h, w)
    if rng.random() < 0.4:
        kw["box"] = box_arg(rng, h, w)
    if rng.random() < 0.4:
        kw["flip"] = pick(rng, [True, False, np.True_, 1, None, "yes"], [5, 5, 1, 1, 1, 1])
    oh, ow = h, w
    color = color_arg(rng)
    if color is not None:
        kw["color"] = color
    mean, std = mean_std(rng, COLOR_CHANNELS.get(color, c), (oh, ow))
    if rng.random() < 0.8:
        kw["mean"], kw["std"] = mean, std
    s = scale_arg(rng)
    if s is not None:
        kw["scale"] = s
    o = out_arg(rng)
    if o is not None:
        kw["out"] = o
    format_kw(rng, kw)
    return Case("preprocess", pixnorm.preprocess, (img,), kw, check=check_preprocess)


def gen_preprocess_batch(rng: np.random.Generator) -> Case:
    n = int(pick(rng, [1, 2, 3, 0], [4, 4, 2, 1]))
    dtype = pick(rng, ["uint8", "float32", None], [6, 3, 1])
    images: Any = [image(rng, dtype, ndim=pick(rng, [3, 2], [9, 1]), weird=0.05) for _ in range(n)]
    if n and rng.random() < 0.15:  # a 4-D array is a sequence of images
        images = image(rng, dtype, ndim=4)
        n = len(np.asarray(images.a if isinstance(images, ArrayLike) else images))
    kw = geometry_kw(rng, 8, 8)
    if rng.random() < 0.5:
        kw["size"] = (int(rng.integers(1, 12)), int(rng.integers(1, 12)))
    shapes = [hwc(im) for im in images] if isinstance(images, list) else [hwc(images)] * n
    if rng.random() < 0.3:
        boxes: Any = [box_arg(rng, h, w) for h, w, _ in shapes]
        if rng.random() < 0.1:
            boxes = pick(
                rng,
                [
                    boxes[:-1],
                    boxes + [(0, 0, 1, 1)],
                    np.array([[0, 0, 1, 1]] * n),
                    ArrayLike([[0, 0, 1, 1]] * n),
                    "boxes",
                    5,
                ],
            )
        kw["boxes"] = boxes
    if rng.random() < 0.3:
        kw["flips"] = pick(
            rng,
            [
                [bool(rng.random() < 0.5) for _ in range(n)],
                np.ones(n, bool),
                ArrayLike(np.zeros(n, bool)),
                [1] * n,
                True,
                [True] * (n + 1),
            ],
        )
    c = shapes[0][2] if shapes else 3
    color = color_arg(rng)
    if color is not None:
        kw["color"] = color
    if rng.random() < 0.7:
        kw["mean"], kw["std"] = mean_std(rng, COLOR_CHANNELS.get(color, c), (8, 8))
    s = scale_arg(rng)
    if s is not None:
        kw["scale"] = s
    o = out_arg(rng)
    if o is not None:
        kw["out"] = o
    format_kw(rng, kw)
    return Case("preprocess_batch", pixnorm.preprocess_batch, (images,), kw, check=check_preprocess)


def gen_random_params(rng: np.random.Generator) -> Case:
    h = pick(rng, [int(rng.integers(1, 60)), 0, -1, 2**40, 2.0, True], [10, 1, 1, 1, 1, 1])
    w = pick(rng, [int(rng.integers(1, 60)), 0, -1, 2**40, 2.0, True], [10, 1, 1, 1, 1, 1])
    args: tuple[Any, ...] = (h, w)
    if rng.random() < 0.5:
        args = (
            *args,
            pick(
                rng,
                [
                    (0.08, 1.0),
                    (0.5, 0.5),
                    (1.0, 2.0),
                    (0.0, 1.0),
                    (1, 0.5),
                    (np.nan, 1),
                    (0.1,),
                    "ab",
                    (1e-300, 1e300),
                ],
            ),
        )
    if rng.random() < 0.5:
        args = (*args, pick(rng, [(0.75, 1.33), (1.0, 1.0), (-1, 1), (1e-9, 1e9), (np.inf, 1)]))
    if len(args) == 4 and rng.random() < 0.5:
        args = (*args, pick(rng, [0.0, 0.5, 1.0, -0.1, 2, np.nan, True]))
    seed = int(rng.integers(2**31))

    def call(*a: Any) -> Any:
        reseed(seed)
        return pixnorm.random_params(*a)

    return Case("random_params", call, args, check=check_random_params)


def gen_set_num_threads(rng: np.random.Generator) -> Case:
    n = pick(rng, [1, 2, None, 0, -1, 2**40, True, 2.0, "2", np.int64(2), _core.MAX_THREADS + 1])

    def call(k: Any) -> Any:
        try:
            pixnorm.set_num_threads(k)
            return pixnorm.get_num_threads(), sorted(pixnorm.build_info())
        finally:
            pixnorm.set_num_threads(None)

    return Case("set_num_threads", call, (n,), compare=False)


def transform_list(rng: np.random.Generator) -> list[Any]:
    def make(name: str) -> Any:
        if name == "Resize":
            return T.Resize(
                pick(rng, [side(rng), size_arg(rng), int(rng.integers(1, 20))]),
                antialias=pick(rng, [True, False, None, 1]),
                max_size=pick(rng, [None, None, 40, side(rng)]),
            )
        if name == "CenterCrop":
            return T.CenterCrop(pick(rng, [side(rng), int(rng.integers(1, 10)), size_arg(rng)]))
        if name == "RandomResizedCrop":
            return T.RandomResizedCrop(
                pick(rng, [int(rng.integers(1, 16)), size_arg(rng)]),
                scale=pick(rng, [(0.08, 1.0), (0.5, 0.5), (0, 1)]),
                ratio=pick(rng, [(0.75, 1.33), (1.0, 1.0), (2, 1)]),
                antialias=pick(rng, [True, False, None]),
            )
        if name == "RandomHorizontalFlip":
            return T.RandomHorizontalFlip(pick(rng, [0.5, 0.0, 1.0, 2.0, np.nan]))
        if name == "ToDtype":
            return T.ToDtype(
                pick(rng, [np.float32, "float32", np.float64]), scale=pick(rng, [True, False, 1])
            )
        if name == "Normalize":
            m, s = mean_std(rng, int(pick(rng, [1, 3, 4])), (4, 4))
            return T.Normalize(m, s, inplace=pick(rng, [False, True]))
        if name == "Lambda":
            return lambda x: x
        return getattr(T, name)()

    names = [
        "Resize",
        "CenterCrop",
        "RandomResizedCrop",
        "RandomHorizontalFlip",
        "ToTensor",
        "PILToTensor",
        "ToImage",
        "ToDtype",
        "Normalize",
        "Lambda",
    ]
    out = []
    for _ in range(int(rng.integers(1, 6))):
        try:
            out.append(make(pick(rng, names)))
        except ALLOWED:
            continue
    return out


def pil_or_array(rng: np.random.Generator) -> Any:
    if rng.random() < 0.3:
        from PIL import Image

        a = values(rng, image_shape(rng, 3), "uint8")
        if a.size == 0:
            return a
        mode = pick(rng, ["RGB", "L", "RGBA", "I;16"])
        if mode == "RGB":
            return Image.fromarray(np.ascontiguousarray(np.resize(a, (*a.shape[:2], 3))))
        if mode == "L":
            return Image.fromarray(np.ascontiguousarray(a[..., 0]))
        if mode == "RGBA":
            return Image.fromarray(np.ascontiguousarray(np.resize(a, (*a.shape[:2], 4))))
        return Image.fromarray(a[..., 0].astype(np.uint16))
    return image(
        rng, pick(rng, ["uint8", "float32", None], [7, 2, 1]), pick(rng, [3, 2, 4], [8, 2, 1])
    )


def gen_transforms(rng: np.random.Generator) -> Case:
    steps = transform_list(rng)
    img = pil_or_array(rng)
    seed = int(rng.integers(2**31))
    single = (
        len(steps) == 1 and rng.random() < 0.5 and not callable(getattr(steps[0], "__name__", None))
    )

    def call(x: Any) -> Any:
        reseed(seed)
        t = steps[0] if single else T.Compose(steps)
        r = t(x)
        repr(t)
        if not single:
            t.fused_runs  # noqa: B018
            pickle.loads(pickle.dumps(T.Compose([s for s in steps if isinstance(s, T._Transform)])))
        return r

    name = "transforms." + (type(steps[0]).__name__ if single else f"Compose({steps!r})")
    return Case(name, call, (img,))


def gen_collate(rng: np.random.Generator) -> Case:
    kw: dict[str, Any] = {}
    if rng.random() < 0.8:
        kw["size"] = pick(
            rng, [(int(rng.integers(1, 12)), int(rng.integers(1, 12))), side(rng), size_arg(rng)]
        )
    if rng.random() < 0.4:
        kw["crop"] = pick(rng, [int(rng.integers(1, 8)), side(rng)])
    conv, aa = convention_aa(rng)
    if conv is not None or rng.random() < 0.3:
        kw["convention"] = conv
    kw["antialias"] = aa
    if rng.random() < 0.6:
        kw["mean"], kw["std"] = mean_std(rng, 3, (4, 4))
    for k, opts in (
        ("to_tensor", [None, True, False, 1]),
        ("random_resized_crop", [True, False, 0]),
        ("flip_p", [0.5, 0.0, 1.0, 1.5, "x"]),
        ("scale", [(0.08, 1.0), (0.5, 0.5), (1, 0)]),
        ("ratio", [(0.75, 1.33), (1, 1), (0, 1)]),
        ("max_size", [None, 40, 0]),
        ("pin_memory", [False, True, 1]),
    ):
        if rng.random() < 0.2:
            kw[k] = pick(rng, opts)
    n = int(pick(rng, [1, 2, 3, 0], [4, 4, 2, 1]))
    form = pick(rng, ["bare", "label", "params"], [3, 3, 4])
    samples: list[Any] = []
    for _ in range(n):
        img = pil_or_array(rng)
        if form == "bare":
            samples.append(img)
            continue
        label = pick(rng, [int(rng.integers(10)), "cat", 1.5])
        if form == "label":
            samples.append((img, label))
            continue
        h, w, _ = hwc(np.asarray(img) if not isinstance(img, ArrayLike) else img)
        b = box_arg(rng, h, w)
        params = pick(
            rng,
            [
                (*b, bool(rng.random() < 0.5)) if isinstance(b, tuple) else b,
                None,
                (0, 0, 1, 1, 2),
                (0, 0, 1, 1, np.array([1])),
                "p",
                (0, 0, 1),
            ],
        )
        samples.append(pick(rng, [(img, label, params), [img, label, params], (img,)], [8, 1, 1]))
    seed = int(rng.integers(2**31))

    def call(s: Any) -> Any:
        reseed(seed)
        col = pixnorm.Collate(**kw)
        repr(col)
        return col(s)

    return Case(f"Collate(**{show(kw)})", call, (samples,))


# ---- RunningStats scripts ---------------------------------------------------------------


def gen_stats(rng: np.random.Generator) -> Case:
    """A script: construct, update, merge, serialize and read results. Each step's outcome (a
    result or an exception type) is part of the call's result, compared with the same script
    on contiguous copies."""
    ctor: dict[str, Any] = {}
    if rng.random() < 0.4:
        ctor["per_pixel"] = pick(rng, [True, True, False, 1, np.True_])
    if rng.random() < 0.15:
        ctor["size"] = pick(rng, [(4, 5), (1, 1), (0, 3), (3,), [2, 2], (2.0, 2), None, 5])
    if rng.random() < 0.1:
        ctor["antialias"] = pick(rng, [True, False, None])
    dtype = pick(rng, ["uint8", "float32"], [6, 4])
    base = image_shape(rng, 3)
    steps: list[tuple[str, Any]] = []
    for _ in range(int(rng.integers(1, 8))):
        op = pick(
            rng,
            [
                "update",
                "merge",
                "add",
                "sum",
                "copy",
                "pickle",
                "dict",
                "baddict",
                "results",
                "selfmerge",
            ],
            [8, 2, 1, 1, 1, 1, 1, 1, 3, 1],
        )
        if op == "update":
            d = dtype if rng.random() < 0.9 else pick(rng, ["uint8", "float32", "float64"])
            nd = pick(rng, [3, 2, 4], [6, 2, 2])
            shape = base if (nd == 3 and rng.random() < 0.7) else image_shape(rng, nd)
            steps.append(("update", view_of(rng, values(rng, shape, d), d)))
        elif op == "merge" or op == "add":
            other_ctor = ctor if rng.random() < 0.8 else {"per_pixel": not ctor.get("per_pixel")}
            imgs = [
                view_of(rng, values(rng, base, dtype), dtype)
                for _ in range(int(rng.integers(0, 3)))
            ]
            steps.append((op, (other_ctor, imgs)))
        elif op == "baddict":
            steps.append(
                (
                    op,
                    (
                        pick(
                            rng,
                            [
                                "format",
                                "version",
                                "dtype",
                                "channels",
                                "count",
                                "state",
                                "shape",
                                "size",
                                "key",
                                "images",
                                "per_pixel",
                            ],
                        ),
                        pick(rng, [None, -1, 0, "x", 2.5, [1], {}, 10**30]),
                    ),
                )
            )
        elif op == "results":
            steps.append((op, pick(rng, [0, 1, 2, -1, True, 1.0, 10**20])))
        else:
            steps.append((op, None))
    return Case("RunningStats script", run_stats, (ctor, steps), script=True)


def stats_outcome(s: pixnorm.RunningStats) -> Any:
    return s.to_dict()


def run_stats(ctor: dict[str, Any], steps: list[tuple[str, Any]]) -> list[Any]:
    outcomes: list[Any] = []

    def attempt(label: str, fn: Callable[[], Any]) -> Any:
        try:
            r = fn()
        except ALLOWED as e:
            check_allowed(e)
            outcomes.append((label, type(e).__name__))
            return None
        except Exception as e:
            raise Defect(f"RunningStats {label}: {type(e).__name__}: {e}") from e
        outcomes.append((label, r.to_dict() if isinstance(r, pixnorm.RunningStats) else r))
        return r

    s = attempt("RunningStats()", lambda: pixnorm.RunningStats(**ctor))
    if s is None:
        return outcomes
    for op, arg in steps:
        s = run_step(s, op, arg, attempt)
    outcomes.append(("final", attempt("to_dict", lambda: s.to_dict())))
    return outcomes


def run_step(
    s: pixnorm.RunningStats, op: str, arg: Any, attempt: Callable[[str, Callable[[], Any]], Any]
) -> pixnorm.RunningStats:
    """One step of a RunningStats script; returns the statistics the script goes on with."""
    if op == "update":
        before = s.to_dict()
        r = attempt("update", lambda a=arg: s.update(a))
        if r is None and not same_bits(s.to_dict(), before):
            raise Defect("RunningStats.update: a refused update changed the statistics")
        if r is not None and s.to_dict()["dtype"] == "uint8":  # exact integer accumulators
            check_u8_stats(s)
    elif op in ("merge", "add"):
        other_ctor, imgs = arg

        def make(oc: dict[str, Any] = other_ctor, ims: list[Any] = imgs) -> Any:
            o = pixnorm.RunningStats(**oc)
            for im in ims:
                o.update(im)
            return o

        o = attempt("other", make)
        if o is None:
            return s
        if op == "merge":
            attempt("merge", lambda o=o: s.merge(o).to_dict())
        else:
            r = attempt("add", lambda o=o: (s + o, o + s))
            exact = s.to_dict()["dtype"] == "uint8"  # integer accumulators (not resampled floats)
            if r is not None and exact and not same_bits(r[0], r[1]):
                raise Defect("RunningStats: a + b != b + a for uint8 (exact sums)")
            if r is not None:
                s = r[0]
    elif op == "sum":
        s = attempt("sum", lambda: sum([s, s.copy()])) or s
    elif op == "selfmerge":
        attempt("selfmerge", lambda: s.merge(s).to_dict())
    elif op == "copy":
        c = attempt("copy", lambda: s.copy())
        if c is not None and not same_bits(c, s):
            raise Defect("RunningStats.copy differs")
    elif op == "pickle":
        p = attempt("pickle", lambda: pickle.loads(pickle.dumps(s)))
        if p is not None and not same_bits(p, s):
            raise Defect("RunningStats pickle round trip differs")
    elif op == "dict":
        d = attempt("from_dict", lambda: pixnorm.RunningStats.from_dict(s.to_dict()))
        if d is not None and not same_bits(d, s):
            raise Defect("RunningStats to_dict / from_dict round trip differs")
    elif op == "baddict":
        key, value = arg
        d = s.to_dict()
        if key == "state":
            d["state"] = value
        elif key == "key":
            d.pop(str(value), None)
            d.pop("count", None)
        else:
            d[key] = value
        r = attempt("from_dict(bad)", lambda d=d: pixnorm.RunningStats.from_dict(d))
        if r is not None:
            results(r, 0, attempt)
    else:
        results(s, arg, attempt)
    return s


def results(
    s: pixnorm.RunningStats, ddof: Any, attempt: Callable[[str, Callable[[], Any]], Any]
) -> None:
    attempt("repr", lambda: repr(s))
    for name in (
        "mean",
        "mean01",
        "min",
        "max",
        "count",
        "n_images",
        "channels",
        "dtype",
        "per_pixel",
        "mean_image",
    ):
        attempt(name, lambda n=name: getattr(s, n))
    for name in ("var", "std", "std01", "var_image", "std_image"):
        attempt(f"{name}({ddof!r})", lambda n=name: getattr(s, n)(ddof))


def check_u8_stats(s: pixnorm.RunningStats) -> None:
    """uint8 statistics are exact: the mean is the integer sum over the count, rounded once."""
    d = s.to_dict()
    c = s.channels
    st = d["state"]
    sums = np.array(st["sum"], dtype=object).reshape(-1, c).sum(axis=0)
    want = np.array([int(v) / s.count for v in sums])
    if not np.array_equal(s.mean, want):
        raise Defect(f"RunningStats.mean {s.mean} != sum / count {want}")


# ---- checks of successful results ---------------------------------------------------------


def as_array(x: Any) -> np.ndarray[Any, Any]:
    return np.asarray(x.a if isinstance(x, ArrayLike) else x)


def check_normalize(case: Case, result: Any) -> None:
    if check_format(case, result):
        return
    img = as_array(case.args[0])
    if img.ndim not in (2, 3, 4):
        raise Defect(f"accepted an image of shape {img.shape}")
    h, w, c = hwc(img)
    color = case.kwargs.get("color")
    c = COLOR_CHANNELS.get(color, c)
    want = (c, h, w) if img.ndim < 4 else (img.shape[0], c, h, w)
    if result.shape != want or result.dtype != np.float32 or not result.flags.c_contiguous:
        raise Defect(f"result {result.dtype} {result.shape} is not C-contiguous float32 {want}")
    if color is not None:
        return  # the colour's values: tests/test_color.py
    if case.api == "to_tensor":
        mean, std, scale = 0.0, 1.0, None
    else:
        mean, std, scale = case.args[1], case.args[2], case.kwargs.get("scale")
    try:
        m = np.asarray(as_array(mean), np.float64)
        sd = np.asarray(as_array(std), np.float64)
    except (TypeError, ValueError):
        return
    if m.ndim > 1 or sd.ndim > 1:
        return  # per pixel: checked for views only
    default = {np.dtype(np.uint8): 1 / 255, np.dtype(np.uint16): 1 / 65535}.get(img.dtype, 1.0)
    s = default if scale is None else float(scale)
    with np.errstate(all="ignore"):
        a = np.broadcast_to(np.float32(s / sd), (c,))
        b = np.broadcast_to(np.float32(-m / sd), (c,))
        x = img.astype(np.float32)
        if img.ndim == 2:
            x = x[..., None]
        ref = np.moveaxis(x * a + b, -1, -3)
    if not same_bits(ref, result):
        raise Defect("normalize: not float32(x) * float32(scale/std) + float32(-mean/std)")


def check_resized_size(case: Case, result: Any) -> None:
    if not (isinstance(result, tuple) and len(result) == 2):
        raise Defect(f"resized_size returned {result!r}")
    h, w = case.args[0], case.args[1]
    valid = all(type(v) is int and v >= 1 for v in (h, w))  # else only the exception matters
    if valid and not all(isinstance(v, int) and v >= 1 for v in result):
        if len(case.args) > 3 and case.args[3] is not None:
            raise Defect(f"resized_size returned {result!r} with max_size: a side of 0")
        raise Defect(f"resized_size returned {result!r}: not two ints >= 1")


def check_resize(case: Case, result: Any) -> None:
    img = as_array(case.args[0])
    if result.dtype != img.dtype:
        raise Defect(f"resize: {img.dtype} in, {result.dtype} out")
    h, w = img.shape[1:3] if img.ndim == 4 else img.shape[:2]
    kw = case.kwargs
    want = pixnorm.resized_size(
        int(h),
        int(w),
        case.args[1],
        kw.get("max_size"),
        factor=kw.get("factor"),
        rounding=kw.get("rounding"),
        convention=kw.get("convention"),
    )
    got = result.shape[1:3] if img.ndim == 4 else result.shape[:2]
    channels_differ = img.ndim >= 3 and result.shape[-1:] != img.shape[-1:]
    color = kw.get("color")
    if color is not None:  # the colour's channel count; a 2-D image stays 2-D only for gray
        n = COLOR_CHANNELS[color]
        channels_differ = (result.shape[-1] != n) if (img.ndim >= 3 or n == 3) else False
        if img.ndim == 2 and n == 3:
            channels_differ = channels_differ or result.ndim != 3
    if tuple(got) != tuple(want) or (result.ndim != img.ndim and color is None) or channels_differ:
        raise Defect(f"resize: result shape {result.shape}, expected {want} for {img.shape}")


def check_preprocess(case: Case, result: Any) -> None:
    if check_format(case, result):
        return
    if case.kwargs.get("return_params") is True:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise Defect(f"return_params=True returned {type(result).__name__}")
        result = result[0]
    if result.dtype != np.float32 or not result.flags.c_contiguous:
        raise Defect(f"result {result.dtype} not C-contiguous float32")


def check_random_params(case: Case, result: Any) -> None:
    h, w = case.args[0], case.args[1]
    top, left, bh, bw, flip = result
    if not (0 <= top and 0 <= left and bh >= 1 and bw >= 1 and top + bh <= h and left + bw <= w):
        raise Defect(f"random_params: box {result[:4]} outside a ({h}, {w}) image")
    if not isinstance(flip, bool):
        raise Defect(f"random_params: flip {flip!r} is not a bool")


def check_allowed(e: BaseException) -> None:
    if isinstance(e, TypeError) and "incompatible function arguments" in str(e):
        raise Defect(f"pybind11 rejected the arguments (unchecked binding): {e}")


def same_bits(a: Any, b: Any) -> bool:
    """Identical results: arrays bit for bit (any NaN equals any NaN), others by ==."""
    if isinstance(a, ArrayLike | memoryview) or type(a).__module__.startswith("PIL."):
        a = as_array(a)
    if isinstance(b, ArrayLike | memoryview):
        b = as_array(b)
    if type(b).__module__.startswith("PIL."):
        b = np.asarray(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.name == "bfloat16":  # ml_dtypes: == says NaN != NaN; pixnorm's NaN is 0xFFFF
            return bool(np.array_equal(a.view(np.uint16), b.view(np.uint16)))
        if a.dtype.kind == "f":
            nan = np.isnan(a)
            if not np.array_equal(nan, np.isnan(b)):
                return False
            ua = a.view(f"u{a.dtype.itemsize}")
            ub = b.view(f"u{b.dtype.itemsize}")
            return bool(np.all((ua == ub) | nan))
        return bool(np.array_equal(a, b))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_bits(a[k], b[k]) for k in a)
    if isinstance(a, pixnorm.RunningStats) and isinstance(b, pixnorm.RunningStats):
        return same_bits(a.to_dict(), b.to_dict())
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return repr(a) == repr(b)


# ---- running a case ------------------------------------------------------------------------


def is_view(obj: Any) -> bool:
    if isinstance(obj, np.ndarray):
        f = obj.flags
        return not (f.c_contiguous and f.aligned and f.writeable and f.owndata)
    if isinstance(obj, ArrayLike | memoryview):
        return True
    if isinstance(obj, list | tuple):
        return any(is_view(o) for o in obj)
    if isinstance(obj, dict):
        return any(is_view(o) for o in obj.values())
    return False


def contiguous(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return np.array(obj, order="C", copy=True)
    if isinstance(obj, ArrayLike):
        return contiguous(np.asarray(obj.a))
    if isinstance(obj, memoryview):
        return np.array(obj, copy=True)
    if isinstance(obj, list):
        return [contiguous(o) for o in obj]
    if isinstance(obj, tuple):
        return tuple(contiguous(o) for o in obj)
    if isinstance(obj, dict):
        return {k: contiguous(v) for k, v in obj.items()}
    return obj


def snapshot(obj: Any) -> list[bytes]:
    """The bytes of every numeric array in ``obj`` (inputs must not be written)."""
    out: list[bytes] = []
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        out.append(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, ArrayLike):
        out += snapshot(obj.a)
    elif isinstance(obj, list | tuple):
        for o in obj:
            out += snapshot(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            out += snapshot(o)
    return out


def first_array(obj: Any) -> np.ndarray[Any, Any] | None:
    if isinstance(obj, np.ndarray):
        return obj
    if isinstance(obj, ArrayLike):
        return first_array(obj.a)
    if isinstance(obj, list | tuple):
        for o in obj:
            a = first_array(o)
            if a is not None:
                return a
    return None


def call(case: Case, kwargs: dict[str, Any], args: tuple[Any, ...] | None = None) -> Any:
    """Runs the case with warnings as errors, except pixnorm.RangeWarning (random mean/std
    often do not fit the image's range): that one is recorded, and must never come before an
    error (the check runs after the work succeeded)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        warnings.simplefilter("always", pixnorm.RangeWarning)
        try:
            return case.func(*(case.args if args is None else args), **kwargs)
        except BaseException:
            if any(issubclass(w.category, pixnorm.RangeWarning) for w in caught):
                raise AssertionError("a RangeWarning before an error") from None
            raise


def make_out(
    spec: OutSpec, shape: tuple[int, ...], dtype: Any, case: Case
) -> tuple[Any, np.ndarray[Any, Any] | None, slice | None, bool]:
    """(out, sentinel parent, the out's slice of it, must be refused)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    kind = spec.kind
    if kind == "overlap":
        src = first_array(case.args[0])
        root = src
        while root is not None and isinstance(root.base, np.ndarray):
            root = root.base
        if (
            root is not None
            and root.dtype == dtype
            and root.size >= n
            and root.flags.c_contiguous
            and root.flags.writeable
        ):
            out = root.reshape(-1)[:n].reshape(shape)
            assert src is not None
            return out, None, None, bool(n and np.shares_memory(out, src))
        kind = "right"
    if kind == "list":
        return np.zeros(shape, dtype).tolist(), None, None, True
    if kind == "misaligned":
        buf = np.zeros(n * dtype.itemsize + 1, np.uint8)
        if dtype.itemsize == 1:
            return buf[1:].reshape(shape), None, None, False  # uint8 is always aligned
        return buf[1:].view(dtype).reshape(shape), None, None, True
    if kind == "wrong_dtype":
        other = np.float64 if dtype == np.float32 else np.float32
        return np.zeros(shape, other), None, None, True
    if kind == "wrong_shape":
        bad = pick(np.random.default_rng(n), [shape[::-1], (*shape, 1), (n + 1,), shape[1:]])
        if tuple(bad) == tuple(shape):
            bad = (n + 1,)
        return np.zeros(bad, dtype), None, None, True
    stride = 2 if kind == "noncontig" else 1
    parent = np.full((2 * GUARD + n * stride) * dtype.itemsize // 4 + 1, SENTINEL, np.uint32)
    flat = parent.view(np.uint8)[: (2 * GUARD + n * stride) * dtype.itemsize].view(dtype)
    region = slice(GUARD, GUARD + n * stride)
    out = flat[region][::stride].reshape(shape)
    if kind == "readonly":
        out.flags.writeable = False
    bad = kind in ("noncontig", "readonly") and n > 1 or kind == "readonly"
    return out, flat, region, bad


def check_guard(
    flat: np.ndarray[Any, Any] | None, region: slice | None, spec: OutSpec, ok: bool
) -> None:
    if flat is None or region is None:
        return
    u = flat.view(np.uint8)
    isz = flat.dtype.itemsize
    sent = np.full(len(u) // 4 + 1, SENTINEL, np.uint32).view(np.uint8)[: len(u)]
    outside = np.ones(len(u), bool)
    outside[region.start * isz : region.stop * isz] = False
    if not np.array_equal(u[outside], sent[outside]):
        raise Defect(f"out ({spec.kind}): written outside its buffer")
    if not ok and not np.array_equal(u, sent):
        raise Defect(f"out ({spec.kind}): written although the call was refused")


def run_case(case: Case) -> str:
    """Runs one case; returns a word for the tally. Raises Defect for a broken oracle."""
    kwargs = dict(case.kwargs)
    spec = kwargs.get("out")
    flat = region = None
    must_refuse = False
    probe: Any = None
    if isinstance(spec, OutSpec):
        kw0 = dict(kwargs, out=None)
        try:
            probe = call(case, kw0)
        except ALLOWED:
            probe = None
        except Exception:
            pass  # reported by the call below
        if isinstance(probe, np.ndarray):
            out, flat, region, must_refuse = make_out(spec, probe.shape, probe.dtype, case)
        else:
            out, flat, region, _ = make_out(spec, (3, 4, 5), np.float32, case)
        kwargs["out"] = out
    before = snapshot(case.args)
    outcome = "ok"
    try:
        result = call(case, kwargs)
    except ALLOWED as e:
        check_allowed(e)
        check_guard(flat, region, spec, False) if isinstance(spec, OutSpec) else None
        if snapshot(case.args) != before:
            raise Defect("a refused call wrote to its input") from None
        return "refused"
    except Defect:
        raise
    except BaseException as e:
        where = traceback.extract_tb(e.__traceback__)[-1].name
        raise Defect(f"{type(e).__name__}: {e} (in {where})") from e
    if isinstance(spec, OutSpec):
        check_guard(flat, region, spec, True)
        if must_refuse:
            raise Defect(f"out ({spec.kind}): accepted, should be refused")
        if probe is not None and kwargs["out"] is not None:
            if result is not kwargs["out"]:
                raise Defect("out=: the result is not out")
            if not same_bits(result, probe):
                raise Defect("out=: the result differs from the call without out")
    if snapshot(case.args) != before and not case.script:
        raise Defect("the call wrote to its input")
    if case.check is not None:
        case.check(case, result)
    if case.compare and is_view(case.args):
        kw2 = {k: contiguous(v) for k, v in kwargs.items() if k != "out"}
        try:
            again = call(case, kw2, contiguous(case.args))
        except ALLOWED as e:
            raise Defect(
                f"the call succeeds on views, raises {type(e).__name__} on copies: {e}"
            ) from e
        if not same_bits(result, again):
            where = ""
            if case.script:
                k = next(
                    k
                    for k, (x, y) in enumerate(zip(result, again, strict=False))
                    if not same_bits(x, y)
                )
                final = again[-1][1] if isinstance(again[-1][1], dict) else {}
                if isinstance(again[k][1], dict) and "per_pixel" in again[k][1]:
                    final = again[k][1]  # the statistics that differ
                mode = "per-pixel" if final.get("per_pixel") else "per-channel"
                where = f" at step {k} {result[k][0]!r} ({final.get('dtype')} {mode})"
            raise Defect(
                f"views change the result{where} (np.ascontiguousarray copies give other bits)"
            )
        outcome = "ok+view"
    return outcome


GENERATORS: list[tuple[Callable[[np.random.Generator], Case], float]] = [
    (gen_normalize, 20),
    (gen_to_tensor, 4),
    (gen_resize, 16),
    (gen_resized_size, 3),
    (gen_preprocess, 18),
    (gen_preprocess_batch, 8),
    (gen_stats, 8),
    (gen_transforms, 8),
    (gen_collate, 6),
    (gen_random_params, 2),
    (gen_set_num_threads, 1),
]


def make_case(seed: int, i: int) -> tuple[Case, str, bool]:
    rng = np.random.default_rng([seed, i])
    DESC.clear()
    gen = pick(rng, [g for g, _ in GENERATORS], [w for _, w in GENERATORS])
    isa = pick(rng, ISAS)
    threaded = bool(rng.random() < 0.1)
    return gen(rng), isa, threaded


def main(argv: list[str]) -> int:
    faulthandler.enable()
    if "libasan" not in os.environ.get(
        "LD_PRELOAD", ""
    ):  # ASan reserves terabytes of address space
        # a call that asks for too much memory raises MemoryError instead of exhausting the machine
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.RLIM_INFINITY))
    describe = "--describe" in argv
    argv = [a for a in argv if a != "--describe"]
    seed, count = int(argv[0]), int(argv[1])
    start = int(argv[2]) if len(argv) > 2 else 0
    tally: dict[str, int] = {}
    known: dict[str, list[str]] = {}
    default_isa = _core._get_isa()
    for i in range(start, start + count):
        case, isa, threaded = make_case(seed, i)
        if describe:
            print(f"seed {seed} call {i} isa={isa} threads={2 if threaded else 1}: {case!r}")
            continue
        os.write(1, f"call {i}\n".encode())
        _core._set_isa(isa)
        pixnorm.set_num_threads(2 if threaded else 1)
        _core._set_parallel_min_elements(0 if threaded else -1)
        try:
            word = run_case(case)
        except Defect as d:
            text = f"{case.api}: {d}"
            hit = next((k for k in KNOWN_DEFECTS if k.matches(text)), None)
            if hit is not None:
                known.setdefault(hit.name, []).append(f"{i}")
                word = "known defect"
            else:
                print(f"FAIL seed {seed} call {i} isa={isa} threads={2 if threaded else 1}")
                print(f"  call: {case!r}")
                print(f"  defect: {d}")
                cause = d.__cause__
                if cause is not None:
                    print("".join(traceback.format_exception(cause)), end="")
                print(f"  replay: python tests/_fuzz_worker.py {seed} 1 {i}")
                return 1
        finally:
            _core._set_isa(default_isa)
            _core._set_parallel_min_elements(-1)
            pixnorm.set_num_threads(None)
        tally[word] = tally.get(word, 0) + 1
    for name, calls in known.items():
        print(f"known defect {name}: calls {', '.join(calls[:10])} ({len(calls)} in all)")
    print(f"ok seed {seed} calls {start}..{start + count - 1}: {tally}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
