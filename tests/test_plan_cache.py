"""The per-thread cache of resize plans (plan_axis_cached): a call whose plans come from the
cache gives the bits of the same call planned afresh, for every argument the plans depend on
(size, crop, box, flips, antialias, factor, convention, filter, INTER_AREA's path,
uint16, the grid's shift), with the cache warm, full and evicting; it holds a bounded number of
plans and is the calling thread's own.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import numpy as np
import pytest

import pixnorm
from pixnorm import _core

Call = Callable[[], np.ndarray]


def _calls() -> dict[str, Call]:
    rng = np.random.default_rng(7)
    img = rng.integers(0, 256, (75, 100, 3), dtype=np.uint8)
    img16 = rng.integers(0, 65536, (75, 100, 3), dtype=np.uint16)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    calls: dict[str, Call] = {}
    for conv in (None, "pillow", "torch", "opencv"):
        aa = conv != "opencv"  # (OpenCV has no antialiased filters)
        base = {
            "size": 48,
            "crop": 40,
            "mean": mean,
            "std": std,
            "convention": conv,
            "antialias": aa,
        }
        calls[f"{conv} base"] = lambda b=base: pixnorm.preprocess(img, **b)
        calls[f"{conv} size 50"] = lambda b=base: pixnorm.preprocess(img, **{**b, "size": 50})
        calls[f"{conv} crop 36"] = lambda b=base: pixnorm.preprocess(img, **{**b, "crop": 36})
        calls[f"{conv} flip"] = lambda b=base: pixnorm.preprocess(img, **b, flip=True)
        calls[f"{conv} vflip"] = lambda b=base: pixnorm.preprocess(img, **b, flip="vertical")
        calls[f"{conv} box"] = lambda b=base: pixnorm.preprocess(img, **b, box=(3, 5, 70, 90))
        calls[f"{conv} box 2"] = lambda b=base: pixnorm.preprocess(img, **b, box=(4, 5, 70, 90))
        calls[f"{conv} nearest"] = lambda b=base: pixnorm.preprocess(
            img, **b, interpolation="nearest"
        )
        calls[f"{conv} bicubic"] = lambda b=base: pixnorm.preprocess(
            img, **b, interpolation="bicubic"
        )
        if conv in (None, "torch"):
            calls[f"{conv} no antialias"] = lambda b=base: pixnorm.preprocess(
                img, **{**b, "antialias": False}
            )
        calls[f"{conv} factor"] = lambda c=conv: pixnorm.resize(
            img, factor=0.48, convention=c, antialias=c != "opencv"
        )
        calls[f"{conv} size of factor"] = lambda c=conv: pixnorm.resize(
            img, size=(36, 48), convention=c, antialias=c != "opencv"
        )
    cv = {"size": (30, 40), "convention": "opencv", "antialias": False}
    calls["opencv area"] = lambda: pixnorm.resize(img, **cv, interpolation="area")
    # INTER_AREA's path follows both axes: the height's plan (60 -> 30) is whole-cell sums
    # beside a width of 80 -> 40, and its float table beside 100 -> 40
    calls["opencv area blocks"] = lambda: pixnorm.resize(img[:60, :80], **cv, interpolation="area")
    calls["opencv area table"] = lambda: pixnorm.resize(img[:60], **cv, interpolation="area")
    calls["opencv uint16"] = lambda: pixnorm.resize(img16, **cv)
    calls["opencv uint8 same size"] = lambda: pixnorm.resize(img, **cv)
    # torch's nearest: its channels-last kernel's indices for outputs with h + w <= 128, its
    # generic kernel's above (the two agree on these sizes: not a check of that key)
    for ow in (67, 68):
        calls[f"torch nearest 61x{ow}"] = lambda ow=ow: pixnorm.resize(
            img, size=(61, ow), convention="torch", interpolation="nearest"
        )
    # plans that differ only in the first output (fit="cover" truncates the crop's offset,
    # a centre crop rounds it) and only in the grid (a factor's, the sizes')
    for h in range(20, 75):
        f = float(max(np.float32(h) / np.float32(75), np.float32(h) / np.float32(100)))
        rh, rw = round(75 * f), round(100 * f)
        if int(0.5 * (rw - h)) != int(round((rw - h) / 2.0)) and rh >= h:
            break
    calls["pillow cover"] = lambda: pixnorm.preprocess(
        img, size=(h, h), convention="pillow", fit="cover"
    )
    calls["pillow size + crop"] = lambda: pixnorm.preprocess(
        img, size=(rh, rw), crop=(h, h), convention="pillow"
    )
    calls["factor 0.37"] = lambda: pixnorm.resize(img, factor=0.37, rounding="floor")
    calls["size of factor 0.37"] = lambda: pixnorm.resize(img, size=(27, 37))
    # plans that differ only in the grid's shift (preprocess(angle=)'s first stage)
    from pixnorm._resize import Geometry

    for name, sh in (("shift 0", 0.0), ("shift 0.3", 0.3), ("shift -0.4", -0.4)):
        g = Geometry(0, 0, 75, 100, 30, 40, 0, 0, 0, 0, 0.4, 0.4, sh, sh)
        calls[name] = lambda g=g: _core.preprocess(
            [img], [g], 30, 40, True, None, 0.0, 1.0, 1.0, None, False
        )
    calls["batch"] = lambda: pixnorm.preprocess_batch(
        [img, img[:, ::-1], img[5:]], size=48, crop=40, mean=mean, std=std
    )
    return calls


def _fresh(call: Call) -> np.ndarray:
    _core._plan_cache_clear()
    return np.asarray(call()).copy()


def test_cached_plans_give_the_fresh_bits() -> None:
    calls = _calls()
    want = {name: _fresh(call) for name, call in calls.items()}
    # the calls again, shuffled and repeated (more distinct plans than the cache holds, so it
    # also evicts), each against its fresh result
    names = list(calls) * 3
    random.Random(3).shuffle(names)
    for name in names:
        got = np.asarray(calls[name]())
        np.testing.assert_array_equal(got, want[name], err_msg=name)
    assert _core._plan_cache_entries() <= 16


def _neighbours(names: list[str]) -> list[list[str]]:
    """Groups of calls whose plans share most of their key (one argument apart)."""
    groups = [
        ["factor 0.37", "size of factor 0.37"],
        ["pillow cover", "pillow size + crop"],
        ["opencv area blocks", "opencv area table", "opencv area"],
        ["opencv uint16", "opencv uint8 same size", "opencv area"],
        ["torch nearest 61x67", "torch nearest 61x68"],
    ]
    for conv in (None, "pillow", "torch", "opencv"):
        same = ("base", "flip", "vflip", "box", "box 2", "no antialias", "nearest", "bicubic")
        groups.append([f"{conv} {k}" for k in same if f"{conv} {k}" in names])
        groups.append([f"{conv} factor", f"{conv} size of factor"])
    return groups


def test_a_plan_cached_by_a_neighbour_is_not_reused() -> None:
    """For every ordered pair (a, b) of neighbouring calls: b after a, its plans perhaps in the
    cache from a, gives b's fresh bits (a key missing any argument that tells a and b apart
    fails here, whatever the order of the other tests)."""
    calls = _calls()
    for group in _neighbours(list(calls)):
        for a in group:
            for b in group:
                if a == b:
                    continue
                want = _fresh(calls[b])
                _core._plan_cache_clear()
                calls[a]()
                got = np.asarray(calls[b]())
                np.testing.assert_array_equal(got, want, err_msg=f"{b} after {a}")


def test_a_repeated_call_plans_nothing_new() -> None:
    img = np.zeros((75, 100, 3), np.uint8)
    _core._plan_cache_clear()
    pixnorm.preprocess(img, size=48, crop=40)
    assert _core._plan_cache_entries() == 2  # one plan per axis
    pixnorm.preprocess(img, size=48, crop=40)
    assert _core._plan_cache_entries() == 2
    pixnorm.preprocess(img, size=48, crop=40, flip=True)  # a mirrored x plan
    assert _core._plan_cache_entries() == 3


def test_large_plans_are_not_kept() -> None:
    # a plan above a quarter of the cache's 4 MiB: 100,000 outputs of about 3 taps (x2 copies of
    # float32 weights and the starts) is about 2.8 MB
    _core._plan_cache_clear()
    row = np.zeros((1, 200_000, 1), np.uint8)
    out = pixnorm.resize(row, size=(1, 100_000))
    assert out.shape == (1, 100_000, 1)
    assert _core._plan_cache_entries() == 1  # the height's plan only


def test_each_thread_has_its_own_cache() -> None:
    img = np.zeros((75, 100, 3), np.uint8)
    _core._plan_cache_clear()
    pixnorm.preprocess(img, size=48, crop=40)
    seen: list[int] = []

    def other() -> None:
        seen.append(_core._plan_cache_entries())
        pixnorm.preprocess(img, size=50, crop=40)
        seen.append(_core._plan_cache_entries())

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == [0, 2]
    assert _core._plan_cache_entries() == 2


@pytest.mark.parametrize("conv", [None, "pillow", "torch", "opencv"])
def test_a_failed_plan_leaves_the_cache_as_it_was(conv: str | None) -> None:
    img = np.zeros((75, 100, 3), np.uint8)
    _core._plan_cache_clear()
    kw = {"size": 48, "convention": conv, "antialias": conv != "opencv"}
    pixnorm.preprocess(img, crop=40, **kw)
    with pytest.raises(ValueError):
        pixnorm.preprocess(img, crop=400, **kw)
    assert _core._plan_cache_entries() == 2


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos", "area"])
@pytest.mark.parametrize("antialias", [True, False])
def test_a_tiny_factor_plans_one_window_over_the_axis(interpolation: str, antialias: bool) -> None:
    """factor=1e-9 or 1e-20 with rounding='ceil': one output pixel whose window spans the image
    with nearly equal weights (antialias), or the edge sample (without): fast, small, and no
    huge bound converted (a window sized by 2 x the support once allocated gigabytes)."""
    if interpolation == "area" and not antialias:
        pytest.skip("area is antialiased by definition")
    img = np.random.default_rng(2).integers(0, 256, (100, 100, 3), dtype=np.uint8)
    for factor in (1e-9, 1e-20):
        out = pixnorm.resize(
            img, factor=factor, rounding="ceil", interpolation=interpolation, antialias=antialias
        )
        assert out.shape == (1, 1, 3)
        if antialias:  # the mean of the image, within rounding (weights equal to 1e-7)
            assert np.all(np.abs(out[0, 0] - img.reshape(-1, 3).mean(0)) <= 0.5 + 1e-3)
