"""pixnorm.ray on a real local Ray cluster (one session for the module, 2 CPUs): statistics
bit-identical to a local RunningStats with 1, 2 and 7 blocks in any order, float32 within the
merge bound, Preprocess bit-identical to preprocess_batch (its random draws independent of the
blocks), ``pixnorm stats --ray`` equal to the local run (skipped files included), a worker
killed mid-run, the errors, and ``import pixnorm`` without Ray.

Expected values come from the local pixnorm path (RunningStats, preprocess_batch, the local
command line) or numpy, never from pixnorm.ray itself."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pixnorm
from pixnorm.__main__ import main

ray = pytest.importorskip(
    "ray", reason="Ray Data is not installed: pip install '.[ray]' (.ci/run installs it)"
)
pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install '.[ray]'")
Image = pytest.importorskip("PIL.Image")

import pixnorm.ray as pnray  # noqa: E402  (after the skips: it imports Ray)

# pytest runs with warnings as errors; these are Ray's, not this project's: Ray 2.60's
# DataContext warns about its own deprecated defaults when it is created, and Ray 2.40 leaves
# its log files and a subprocess object open (ResourceWarnings when they are collected, which
# pytest reports as unraisable exceptions). pixnorm's own files: test_cli.py, warnings as errors.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

H, W = 32, 40
RNG = np.random.default_rng(18)


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One local Ray session for the whole module (starting one takes about 5 s)."""
    # address="local": a new cluster, even where another runs on this machine (ray start)
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.op_resource_reservation_enabled = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        yield
    finally:
        ray.shutdown()


def local_stats(images: Any, **options: Any) -> pixnorm.RunningStats:
    """The expected result: one local RunningStats fed the images one at a time, in order."""
    s = pixnorm.RunningStats(**options)
    for img in images:
        s.update(img)
    return s


def num_blocks(ds: Any) -> int:
    return int(ds.materialize().num_blocks())


def assert_same_stats(got: pixnorm.RunningStats, want: pixnorm.RunningStats) -> None:
    """Bit for bit: the accumulators (exact integer sums), counts and every result."""
    assert got.to_dict() == want.to_dict()
    np.testing.assert_array_equal(got.mean, want.mean)
    np.testing.assert_array_equal(got.var(), want.var())
    np.testing.assert_array_equal(got.var(ddof=1), want.var(ddof=1))
    if want.per_pixel:
        np.testing.assert_array_equal(got.mean_image, want.mean_image)
        np.testing.assert_array_equal(got.var_image(), want.var_image())


def same_size_images() -> Any:
    """About 300 uint8 (32, 40, 3) images: random ones, tiles of three scikit-image photographs,
    and a black and a white image (min and max)."""
    data = pytest.importorskip("skimage.data")
    tiles = []
    for photo in (data.astronaut(), data.coffee(), data.chelsea()):
        for y in range(0, photo.shape[0] - H + 1, 2 * H):
            for x in range(0, photo.shape[1] - W + 1, 2 * W):
                tiles.append(photo[y : y + H, x : x + W])
    generated = list(RNG.integers(0, 256, (150, H, W, 3), dtype=np.uint8))
    extremes = [np.zeros((H, W, 3), np.uint8), np.full((H, W, 3), 255, np.uint8)]
    images = np.stack(tiles + generated + extremes)
    assert len(images) > 250
    return images


def mixed_size_images() -> list[Any]:
    data = pytest.importorskip("skimage.data")
    images = [data.astronaut(), data.coffee(), data.chelsea()]
    for _ in range(40):
        h, w = RNG.integers(8, 90, 2)
        images.append(RNG.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return images


# ----------------------------------------------------------------------------------------------
# Statistics


@pytest.mark.parametrize("blocks", [1, 2, 7])
@pytest.mark.parametrize("per_pixel", [False, True], ids=["channel", "pixel"])
def test_uint8_stats_equal_local_bitwise(blocks: int, per_pixel: bool) -> None:
    images = same_size_images()
    shuffled = images[RNG.permutation(len(images))]  # another order than the local pass
    ds = ray.data.from_numpy(shuffled).repartition(blocks)
    assert num_blocks(ds) == blocks
    got = pnray.stats(ds, column="data", per_pixel=per_pixel)
    want = local_stats(images, per_pixel=per_pixel)
    assert_same_stats(got, want)
    assert got.n_images == len(images)
    # and against numpy's exact integer sums, independently of RunningStats
    x = images.reshape(-1, 3).astype(np.uint64)
    if not per_pixel:
        assert got.to_dict()["state"]["sum"] == x.sum(axis=0).tolist()
        assert got.to_dict()["state"]["sumsq"] == (x * x).sum(axis=0).tolist()
    else:
        np.testing.assert_array_equal(
            got.to_dict()["state"]["sum"], images.astype(np.uint64).sum(axis=0)
        )


@pytest.mark.parametrize("blocks", [1, 2, 7])
def test_mixed_sizes_per_channel_and_resized_per_pixel(blocks: int) -> None:
    images = mixed_size_images()
    rows = [{"image": img} for img in images]
    ds = ray.data.from_items(rows, override_num_blocks=blocks)
    assert num_blocks(ds) == blocks
    assert_same_stats(pnray.stats(ds), local_stats(images))
    # a named convention resamples to uint8 levels: exact per pixel too
    options = {"per_pixel": True, "size": (24, 20), "convention": "torch"}
    assert_same_stats(pnray.stats(ds, **options), local_stats(images, **options))


def test_gray_images() -> None:
    data = pytest.importorskip("skimage.data")
    camera = data.camera()
    gray = np.stack([camera[y : y + H, :W] for y in range(0, 256, H)])  # (N, H, W): one channel
    ds = ray.data.from_numpy(gray).repartition(3)
    got = pnray.stats(ds, column="data", per_pixel=True)
    assert got.channels == 1
    assert_same_stats(got, local_stats(gray, per_pixel=True))


def test_gray_rows_padded_by_ray_are_an_error_not_colour() -> None:
    """Ray pads a 2-D row of a block that also holds 3-D rows to (1, H, W): a gray 40x3 strip
    arrives as (1, 40, 3), an RGB image one pixel high. Locally the gray image is a clear
    channel error; through Ray it must not become silent colour statistics or 3-channel
    tensors."""
    rgb = np.full((20, 20, 3), 200, np.uint8)
    gray = np.zeros((40, 3), np.uint8)
    with pytest.raises(ValueError, match="1 channel"):
        local_stats([rgb, gray])
    ds = ray.data.from_items([{"image": rgb}, {"image": gray}]).repartition(1)
    assert num_blocks(ds) == 1
    with pytest.raises(ValueError, match=r"row 1 has shape \(1, 40, 3\).*pads a gray"):
        pnray.stats(ds)
    with pytest.raises(Exception, match=r"row 1 has shape \(1, 40, 3\).*pads a gray"):
        ds.map_batches(pnray.Preprocess(size=(8, 8)), batch_format="numpy").take_all()
    # a block of such rows only (one size: Ray's numpy batch is then one 4-D array)
    padded = np.zeros((3, 1, 40, 3), np.uint8)
    with pytest.raises(ValueError, match=r"row 0 has shape \(1, 40, 3\)"):
        pnray.Preprocess(size=(8, 8))({"image": padded})
    # gray images with a channel axis mix with nothing padded: the local error
    with pytest.raises(ValueError, match="1 channel"):
        pnray.stats(ray.data.from_items([{"image": rgb}, {"image": gray[..., None]}]))


@pytest.mark.parametrize("convention", [None, "pillow"])
def test_color_takes_gray_and_rgb_rows_in_one_set(convention: str | None) -> None:
    """color="rgb" brings gray rows (with their channel axis) and RGB rows to one set, as
    locally; Preprocess(color=...) equals preprocess_batch."""
    rows = [RNG.integers(0, 256, (16, 20, 3), np.uint8) for _ in range(3)]
    rows += [RNG.integers(0, 256, (18, 14, 1), np.uint8) for _ in range(3)]
    ds = ray.data.from_items([{"id": i, "image": x} for i, x in enumerate(rows)],
                             override_num_blocks=2)  # fmt: skip
    options: dict[str, Any] = {"color": "rgb", "convention": convention}
    if convention is not None:
        options["size"] = (12, 12)
    assert_same_stats(pnray.stats(ds, **options), local_stats(rows, **options))
    pre = {"size": (12, 12), "color": "gray", "convention": convention, "mean": 0.5, "std": 0.25}
    got = preprocessed(ds, pnray.Preprocess(**pre))
    np.testing.assert_array_equal(got, pixnorm.preprocess_batch(rows, **pre))
    with pytest.raises(ValueError, match="color: 'grey' is not available"):
        pnray.Preprocess(size=8, color="grey")
    with pytest.raises(ValueError, match="color: 'grey' is not available"):
        pnray.stats(ds, color="grey")


def test_stats_with_a_filter_equal_the_local_ones() -> None:
    """interpolation= reaches the tasks (task protocol 5): the statistics of a bicubic resize
    equal the local RunningStats', exactly for a named convention's uint8 levels."""
    rows = [RNG.integers(0, 256, (16 + i, 20, 3), np.uint8) for i in range(4)]
    ds = ray.data.from_items([{"image": x} for x in rows], override_num_blocks=2)
    options: dict[str, Any] = {"size": (12, 12), "convention": "pillow"}
    options["interpolation"] = "bicubic"
    assert_same_stats(pnray.stats(ds, **options), local_stats(rows, **options))
    with pytest.raises(ValueError, match="interpolation"):
        pnray.stats(ds, size=(12, 12), interpolation="areal")


def test_uint8_and_float32_in_one_block_are_an_error() -> None:
    """Ray Data converts a block holding uint8 and float32 images to float32: the uint8 levels
    would be read as floats of 0..255 next to values in 0..1 (a silent wrong result; locally the
    mix is refused). Homogeneous float32 data in 0..255 or 0..1 is fine."""
    u8 = RNG.integers(0, 256, (16, 16, 3)).astype(np.uint8)
    f32 = RNG.random((16, 16, 3)).astype(np.float32)
    mixed = ray.data.from_items([{"image": u8}, {"image": f32}], override_num_blocks=1)
    with pytest.raises(
        ValueError, match="row 0 holds whole numbers up to .* row 1 fractions within"
    ):
        pnray.stats(mixed)
    with pytest.raises(
        Exception, match=r"Ray Data converts a block that mixes uint8 \(or uint16\) and"
    ):
        mixed.map_batches(pnray.Preprocess(size=(8, 8)), batch_format="numpy").take_all()
    levels = [RNG.integers(0, 256, (8, 8, 3)).astype(np.float32) for _ in range(3)]
    ones = [RNG.random((8, 8, 3)).astype(np.float32) for _ in range(3)]
    for same in (levels, ones):
        ds = ray.data.from_items([{"image": x} for x in same], override_num_blocks=1)
        got, want = pnray.stats(ds), local_stats(same)
        assert got.count == want.count and got.n_images == want.n_images
        # float accumulators, another grouping (one update per image): the merge bound
        np.testing.assert_allclose(got.mean, want.mean, rtol=1e-12)
        np.testing.assert_allclose(got.var(), want.var(), rtol=1e-12)


def test_blocks_of_different_channels_say_so() -> None:
    rows = [{"image": RNG.integers(0, 256, (8, 8, 3), np.uint8)}] * 2
    rows += [{"image": RNG.integers(0, 256, (8, 8, 1), np.uint8)}] * 2
    ds = ray.data.from_items(rows, override_num_blocks=2)
    with pytest.raises(ValueError, match="one block's images differ from the earlier blocks'"):
        pnray.stats(ds)


def test_float32_within_the_merge_bound() -> None:
    images = same_size_images().astype(np.float32) / 255 + np.float32(100.0)  # offset: kappa
    want = local_stats(images)
    n = want.count
    kappa = np.sqrt(1 + want.mean**2 / want.var())
    # RunningStats' documented bound for the variance, n * kappa * 2**-53, for each of the two
    # results (another merge order changes the rounding); the mean is one of the terms.
    bound = 2 * n * kappa * 2.0**-53
    for blocks in (2, 7):
        ds = ray.data.from_numpy(images[::-1].copy()).repartition(blocks)
        got = pnray.stats(ds, column="data")
        assert got.count == n and got.n_images == len(images)
        assert np.all(np.abs(got.var() - want.var()) <= bound * want.var())
        assert np.all(np.abs(got.mean - want.mean) <= bound * (np.abs(want.mean) + want.std()))
        np.testing.assert_array_equal(got.min, want.min)  # exact
        np.testing.assert_array_equal(got.max, want.max)


def test_killed_worker_is_retried_and_the_result_is_exact(tmp_path: Path) -> None:
    """A map that ends its worker process the first time it runs (a marker file says it did):
    Ray retries the task (system failures are retried), and the statistics count each image
    once."""
    marker = tmp_path / "killed"

    def die_once(batch: dict[str, Any]) -> dict[str, Any]:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return batch
        os.close(fd)
        os._exit(1)  # the worker process dies mid-run, without cleanup

    images = same_size_images()
    ds = ray.data.from_numpy(images).repartition(4).map_batches(die_once, batch_format="numpy")
    got = pnray.stats(ds, column="data", per_pixel=True)
    assert marker.exists()  # the kill happened
    assert_same_stats(got, local_stats(images, per_pixel=True))


def test_per_pixel_mixed_sizes_is_a_clear_error(tmp_path: Path) -> None:
    images = mixed_size_images()
    one_block = ray.data.from_items([{"image": i} for i in images], override_num_blocks=1)
    with pytest.raises(ValueError, match="per-pixel statistics need one size"):
        pnray.stats(one_block, per_pixel=True)
    # Blocks of one size each: the first block of another size stops the run (the blocks are
    # slowed down so that the run would take several seconds; markers count those that ran).
    blocks = [RNG.integers(0, 256, (4, 10 + (k > 0), 10, 3), dtype=np.uint8) for k in range(40)]

    def slow(batch: dict[str, Any]) -> dict[str, Any]:
        import time

        time.sleep(0.2)
        (tmp_path / f"block{os.getpid()}_{time.monotonic_ns()}").touch()
        return batch

    ds = ray.data.from_numpy(blocks).map_batches(slow, batch_format="numpy")
    sizes = r"(10x10 and 11x10|11x10 and 10x10) \(HxW\)"  # the first block done comes first
    with pytest.raises(ValueError, match=sizes + r".*pass size=\(h, w\)"):
        pnray.stats(ds, column="data", per_pixel=True)
    ran = len(list(tmp_path.glob("block*")))
    assert ran < len(blocks) // 2, f"{ran} of {len(blocks)} blocks ran before the error"


def test_stats_errors() -> None:
    images = same_size_images()[:10]
    ds = ray.data.from_numpy(images)
    with pytest.raises(TypeError, match="dataset: expected a ray.data.Dataset"):
        pnray.stats(images)
    with pytest.raises(ValueError, match="^column: 'image' is not in the dataset"):
        pnray.stats(ds)
    with pytest.raises(ValueError, match="size: 24 .*per-pixel statistics need one"):
        pnray.stats(ds, column="data", per_pixel=True, size=24)  # before any task
    with pytest.raises(ValueError, match="batch_size"):
        pnray.stats(ds, column="data", batch_size=0)
    encoded = ray.data.from_items([{"image": b"\x89PNG..."}, {"image": b"\xff\xd8..."}])
    with pytest.raises(ValueError, match=r"^column 'image', row 0 of the batch: "):
        pnray.stats(encoded)  # undecodable bytes: pixnorm.decode's DecodeError, named
    with pytest.raises(ValueError, match="^mode: expected 'RGB', 'L', 'RGBA' or None"):
        pnray.stats(encoded, mode="rgb")
    nested = ray.data.from_items([{"image": [[1, 2], [3, 4]]}, {"image": [[5, 6], [7, 8]]}])
    with pytest.raises(TypeError, match="^column 'image': image: .*dtype int64"):
        pnray.stats(nested)  # Ray's object array of lists, read as the numbers they hold
    for empty in (np.zeros((4, 0, 5), np.uint8), np.zeros((2, 5, 0, 3), np.uint8)):
        with pytest.raises(ValueError, match=r"row 0 has shape \(.*\), a zero-size image"):
            pnray.stats(ray.data.from_numpy(empty), column="data")
    floats64 = ray.data.from_numpy(images.astype(np.float64))
    with pytest.raises(TypeError, match="^column 'data': image: dtype float64"):
        pnray.stats(floats64, column="data")


# ----------------------------------------------------------------------------------------------
# Preprocess

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def preprocessed(ds: Any, transform: Any, column: str = "image") -> Any:
    rows = ds.map_batches(transform, batch_format="numpy").take_all()
    rows.sort(key=lambda r: r["id"])
    return np.stack([r[column] for r in rows])


@pytest.mark.parametrize(
    "options",
    [
        {"size": 48, "crop": 40, "mean": MEAN, "std": STD},
        {"size": (36, 44), "convention": "torch", "mean": MEAN, "std": STD},
        {"size": (30, 30), "antialias": False, "convention": "opencv", "scale": 1.0},
    ],
    ids=["default", "torch", "opencv"],
)
def test_preprocess_equals_preprocess_batch_bitwise(options: dict[str, Any]) -> None:
    images = mixed_size_images()
    ds = ray.data.from_items(
        [{"id": i, "image": img} for i, img in enumerate(images)], override_num_blocks=5
    )
    got = preprocessed(ds, pnray.Preprocess(**options))
    want = pixnorm.preprocess_batch(images, **options)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    # another column, another dtype: the local result cast by numpy
    half = preprocessed(ds, pnray.Preprocess(**options, output_column="x", dtype="float16"), "x")
    np.testing.assert_array_equal(half, want.astype(np.float16))


def test_preprocess_per_pixel_mean() -> None:
    images = same_size_images()[:40]
    mean_image = local_stats(images, per_pixel=True).mean_image
    ds = ray.data.from_items([{"id": i, "image": img} for i, img in enumerate(images)])
    got = preprocessed(ds, pnray.Preprocess(mean=mean_image, std=64.0, scale=1.0))
    want = pixnorm.preprocess_batch(list(images), mean=mean_image, std=64.0, scale=1.0)
    np.testing.assert_array_equal(got, want)


def test_random_crops_and_flips_do_not_depend_on_the_blocks() -> None:
    images = mixed_size_images()
    rows = [{"id": i, "image": img} for i, img in enumerate(images)]
    options = {
        "size": (24, 24),
        "random_resized_crop": True,
        "flip_p": 0.5,
        "vflip_p": 0.5,
        "mean": MEAN,
    }
    transform = pnray.Preprocess(**options, seed=7)
    one = preprocessed(ray.data.from_items(rows, override_num_blocks=1), transform)
    order = RNG.permutation(len(rows))
    seven = ray.data.from_items([rows[i] for i in order], override_num_blocks=7)
    # a new object with the same seed (as a new job would make), on other blocks, in another order
    again = preprocessed(seven, pnray.Preprocess(**options, seed=7))
    np.testing.assert_array_equal(one, again)
    # the local call with the drawn parameters
    drawn = [transform.params(img) for img in images]
    boxes = [box for box, _ in drawn]
    flips = [flip for _, flip in drawn]
    want = pixnorm.preprocess_batch(
        images, size=(24, 24), boxes=boxes, flips=flips, mean=MEAN, std=None
    )
    np.testing.assert_array_equal(one, want)
    # the draws are random: boxes smaller than the image, both flips; another seed, other draws
    assert any(
        b[2] < img.shape[0] or b[3] < img.shape[1] for b, img in zip(boxes, images, strict=True)
    )
    assert set(flips) == {False, True, "vertical", "both"}
    other = [pnray.Preprocess(**options, seed=8).params(img) for img in images]
    assert sum(a != b for a, b in zip(drawn, other, strict=True)) > len(images) // 2
    # the draw follows the content, not the position: a copy of an image gets its draw, and
    # images of one size get different draws
    assert transform.params(images[3].copy()) == drawn[3]
    same_size = [transform.params(img) for img in RNG.integers(0, 256, (20, 50, 60, 3), np.uint8)]
    assert len(set(same_size)) > 15


def test_boxes_and_flips_from_columns() -> None:
    """Boxes and flips fixed per row (box_column, flip_column): the local preprocess_batch with
    those boxes and flips, on any partitioning; None in a row is the whole image / no flip."""
    images = mixed_size_images()
    kinds: list[bool | str | None] = [False, True, "horizontal", "vertical", "both", None]
    boxes: list[tuple[int, int, int, int] | None] = []
    flips: list[bool | str | None] = []
    for i, img in enumerate(images):
        h, w = img.shape[:2]
        if i % 5 == 4:
            boxes.append(None)
        else:
            bh, bw = int(RNG.integers(1, h + 1)), int(RNG.integers(1, w + 1))
            boxes.append(
                (int(RNG.integers(0, h - bh + 1)), int(RNG.integers(0, w - bw + 1)), bh, bw)
            )
        flips.append(kinds[i % len(kinds)])
    rows = [
        {"id": i, "image": img, "box": None if b is None else np.array(b), "flip": f}
        for i, (img, b, f) in enumerate(zip(images, boxes, flips, strict=True))
    ]
    transform = pnray.Preprocess(size=(24, 20), mean=MEAN, box_column="box", flip_column="flip")
    want = pixnorm.preprocess_batch(
        images,
        size=(24, 20),
        boxes=boxes,
        flips=[False if f is None else f for f in flips],
        mean=MEAN,
        std=None,
    )
    for blocks in (1, 3):
        got = preprocessed(ray.data.from_items(rows, override_num_blocks=blocks), transform)
        np.testing.assert_array_equal(got, want)
    # the boxes matter: without them the result differs
    plain = pixnorm.preprocess_batch(images, size=(24, 20), mean=MEAN, std=None)
    assert not np.array_equal(plain, want)
    # one column alone, boxes as an (N, 4) int column of one block
    same = [img[:30, :30] for img in images if img.shape[0] >= 30 and img.shape[1] >= 30]
    batch = {"image": np.stack(same), "box": np.tile([2, 3, 20, 25], (len(same), 1))}
    got = pnray.Preprocess(size=(10, 10), box_column="box")(batch)["image"]
    np.testing.assert_array_equal(
        got, pixnorm.preprocess_batch(same, size=(10, 10), boxes=[(2, 3, 20, 25)] * len(same))
    )


def test_box_and_flip_column_errors() -> None:
    img = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="box_column: boxes come from the column or"):
        pnray.Preprocess(size=(8, 8), random_resized_crop=True, seed=0, box_column="box")
    with pytest.raises(ValueError, match="flip_column: flips come from the column or"):
        pnray.Preprocess(flip_p=0.5, seed=0, flip_column="flip")
    with pytest.raises(ValueError, match="box_column: 'image' is the image column"):
        pnray.Preprocess(box_column="image")
    with pytest.raises(TypeError, match="flip_column: expected a str, got 3"):
        pnray.Preprocess(flip_column=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="flip_column: 'b' is also box_column"):
        pnray.Preprocess(box_column="b", flip_column="b")
    with pytest.raises(ValueError, match="output_column: an empty column name"):
        pnray.Preprocess(output_column="")
    t = pnray.Preprocess(size=(8, 8), box_column="box", flip_column="flip")
    assert "box_column='box', flip_column='flip'" in repr(t)
    with pytest.raises(ValueError, match="^box_column: 'box' is not in the dataset"):
        t({"image": img[None], "flip": np.array([True])})
    row0 = r"column 'box', row 0 of the batch: expected a box of four ints"
    for box, kind in (
        (np.array([1.0, 2.0, 3.0, 4.0]), TypeError),  # as preprocess_batch: the wrong kind
        ("0 0 4 4", TypeError),
        (np.array([1, 2, 3]), ValueError),
    ):
        col = np.empty(1, dtype=object)
        col[0] = box
        with pytest.raises(kind, match=row0):
            t({"image": img[None], "box": col, "flip": np.array([False])})
    flip0 = r"column 'flip', row 0 of the batch: expected a bool"
    for flip, kind in ((np.array([1]), TypeError), (np.array(["left"]), ValueError)):
        with pytest.raises(kind, match=flip0):
            t({"image": img[None], "box": np.array([[0, 0, 4, 4]]), "flip": flip})
    # a box outside its image: the core's rule, naming the box column and the row
    with pytest.raises(ValueError, match=r"^column 'box', row 1 of the batch: \(0, 0, 40, 4\)"):
        t({"image": np.stack([img, img]), "box": np.array([[0, 0, 4, 4], [0, 0, 40, 4]]),
           "flip": np.array([False, True])})  # fmt: skip


def test_all_none_box_and_flip_columns() -> None:
    """A block whose box (or flip) rows are all None: Ray gives the column the Arrow null type,
    which reaches the batch as NaN. They mean the whole image and no flip, as a None row."""
    images = [RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(12)]
    boxes = [None if i < 4 else (0, 0, 20, 25) for i in range(12)]
    flips = [None if i < 8 else True for i in range(12)]
    rows = [
        {"id": i, "image": img, "box": b, "flip": f}
        for i, (img, b, f) in enumerate(zip(images, boxes, flips, strict=True))
    ]
    ds = ray.data.from_items(rows, override_num_blocks=3)  # blocks 0 (boxes) and 1 (flips): None
    got = preprocessed(ds, pnray.Preprocess(size=(16, 16), box_column="box", flip_column="flip"))
    want = pixnorm.preprocess_batch(
        images, size=(16, 16), boxes=boxes, flips=[bool(f) for f in flips]
    )
    np.testing.assert_array_equal(got, want)


def test_mixed_dtypes_in_one_block_are_refused() -> None:
    """Ray Data converts a block mixing uint8 and uint16 rows to uint16 (and uint16 with
    float32 to float32): refused, as the local call refuses the mix, instead of reading 8-bit
    levels as 16-bit ones."""
    u8 = [RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(2)]
    u16 = [RNG.integers(0, 65536, (20, 30, 3), dtype=np.uint16) for _ in range(2)]
    f32 = [RNG.random((20, 30, 3), dtype=np.float32) for _ in range(2)]
    for mix in (u8 + u16, u16 + f32):
        rows = [{"id": i, "image": x} for i, x in enumerate(mix)]
        ds = ray.data.from_items(rows, override_num_blocks=1)
        with pytest.raises(ValueError, match="Ray Data converts a block that mixes uint8"):
            pnray.stats(ds)
        block = np.stack([x.astype(np.result_type(*[m.dtype for m in mix])) for x in mix])
        with pytest.raises(ValueError, match="Ray Data converts a block that mixes uint8"):
            pnray.Preprocess(size=(8, 8))({"image": block})
    # one dtype per block passes, dark 16-bit images (within 0..255 but a narrow span) too
    dark = [RNG.integers(0, 20, (20, 30, 3), dtype=np.uint16), *u16]
    pnray.Preprocess(size=(8, 8))({"image": np.stack(dark)})
    # 10-bit data stored as uint16: a dim frame (40..200) next to a bright one (up to 1023)
    ten = [RNG.integers(40, 201, (20, 30, 3)), RNG.integers(0, 1024, (20, 30, 3))]
    pnray.Preprocess(size=(8, 8))({"image": np.stack(ten).astype(np.uint16)})
    # a NaN row before the mix does not end the check
    nan = np.full((20, 30, 3), np.nan, np.float32)
    mixed = np.stack([nan, u8[0].astype(np.float32), f32[0]])
    with pytest.raises(ValueError, match="Ray Data converts a block that mixes uint8"):
        pnray.Preprocess(size=(8, 8))({"image": mixed})


def encoded_folder(root: Path) -> list[Path]:
    """JPEG and PNG files of mixed sizes and modes (a gray PNG among them)."""
    paths = []
    for i in range(24):
        h, w = int(RNG.integers(20, 60)), int(RNG.integers(20, 60))
        arr = RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)
        path = root / f"{i:02d}.{'jpg' if i % 3 else 'png'}"
        im = Image.fromarray(arr if i != 5 else arr[..., 0])
        im.save(path, **({"quality": 90} if i % 3 else {}))
        paths.append(path)
    return paths


def test_encoded_bytes_columns(tmp_path: Path) -> None:
    """read_binary_files' bytes, decoded in the workers by pixnorm.decode: the statistics and
    the tensors of the decoded images, bit for bit, for any partitioning."""
    paths = encoded_folder(tmp_path)
    images = [pixnorm.decode(p) for p in sorted(paths)]  # mode "RGB": the gray PNG as RGB
    ds = ray.data.read_binary_files(str(tmp_path), include_paths=True)
    for blocks in (1, 3):
        part = ds.repartition(blocks)
        got = pnray.stats(part, column="bytes")
        want = local_stats(images)
        assert got.to_dict() == want.to_dict()
    gray = pnray.stats(ds, column="bytes", mode="L")
    assert gray.to_dict() == local_stats([pixnorm.decode(p, mode="L") for p in paths]).to_dict()
    out = ds.map_batches(
        pnray.Preprocess(column="bytes", output_column="x", size=(24, 20), mean=MEAN, std=STD),
        batch_format="numpy",
    ).take_all()
    out.sort(key=lambda r: r["path"])
    want_x = pixnorm.preprocess_batch(images, size=(24, 20), mean=MEAN, std=STD)
    np.testing.assert_array_equal(np.stack([r["x"] for r in out]), want_x)
    # random draws follow the decoded image: the same as for the arrays
    rows = [{"id": i, "image": img} for i, img in enumerate(images)]
    options: dict[str, Any] = {
        "size": (16, 16),
        "random_resized_crop": True,
        "flip_p": 0.5,
        "seed": 3,
    }
    from_arrays = preprocessed(ray.data.from_items(rows), pnray.Preprocess(**options))
    coded = ray.data.from_items(
        [{"id": i, "data": p.read_bytes()} for i, p in enumerate(sorted(paths))]
    )
    from_bytes = preprocessed(coded, pnray.Preprocess(column="data", **options), column="data")
    np.testing.assert_array_equal(from_bytes, from_arrays)


def test_preprocess_errors() -> None:
    img = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    with pytest.raises(pixnorm.DecodeError, match=r"^column 'image', row 0 of the batch"):
        pnray.Preprocess()({"image": np.array([b"\x89PNG...", b"GIF89a"], dtype=object)})
    # with a path column (read_binary_files(include_paths=True)), the file is named
    files = {"bytes": np.array([b"GIF89a"], dtype=object), "path": np.array(["a/b.gif"])}
    with pytest.raises(pixnorm.DecodeError, match=r"row 0 of the batch \(a/b.gif\): "):
        pnray.Preprocess(column="bytes")(files)
    with pytest.raises(TypeError, match=r"row 0 of the batch: None, not an encoded file"):
        pnray.Preprocess()({"image": np.array([None, b"\xff\xd8\xff"], dtype=object)})
    with pytest.raises(TypeError, match="fixed-width numpy bytes"):
        pnray.Preprocess()({"image": np.array([b"\xff\xd8\xff\x00"])})
    with pytest.raises(ValueError, match="^mode: expected"):
        pnray.Preprocess(mode="YCbCr")
    with pytest.raises(TypeError, match="^mode: expected"):
        pnray.Preprocess(mode=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="column: 'pixels' is not in the dataset"):
        pnray.Preprocess(column="pixels")({"image": img[None]})
    ragged = np.empty(2, dtype=object)  # Ray's variable-shaped column
    ragged[0], ragged[1] = img, img[:, :20]
    with pytest.raises(ValueError, match="column 'image': images\\[1\\]: ends at"):
        pnray.Preprocess(size=16)({"image": ragged})
    with pytest.raises(ValueError, match="size: random_resized_crop needs size=\\(h, w\\)"):
        pnray.Preprocess(size=16, random_resized_crop=True)
    with pytest.raises(TypeError, match="dtype: expected a float dtype"):
        pnray.Preprocess(dtype="uint8")
    with pytest.raises(ValueError, match="flip_p"):
        pnray.Preprocess(flip_p=1.5)
    with pytest.raises(ValueError, match="seed"):
        pnray.Preprocess(seed=-1)
    # no drawn seed: each actor of the class form would draw its own
    for random in ({"flip_p": 0.5}, {"vflip_p": 0.1}, {"random_resized_crop": True}):
        with pytest.raises(ValueError, match="^seed: random crops and flips need a seed"):
            pnray.Preprocess(size=(8, 8), **random)
    with pytest.raises(ValueError, match="crop_scale: expected 0 < min <= max"):
        pnray.Preprocess(size=(8, 8), random_resized_crop=True, crop_scale=(0.5, 0.1), seed=0)
    with pytest.raises(TypeError, match="crop_ratio: expected a pair"):
        pnray.Preprocess(size=(8, 8), random_resized_crop=True, crop_ratio=1.0, seed=0)
    # the values are checked on the driver, not in a failed Ray task
    with pytest.raises(ValueError, match="^std: expected values > 0"):
        pnray.Preprocess(std=0)
    with pytest.raises(ValueError, match="^mean: expected values finite"):
        pnray.Preprocess(mean=[0.5, float("nan"), 0.5])
    with pytest.raises(ValueError, match="^mean, std: 3 and 2 values"):
        pnray.Preprocess(mean=MEAN, std=STD[:2])
    with pytest.raises(ValueError, match=r"^mean: an array of shape \(8, 8\); expected"):
        pnray.Preprocess(mean=np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"^mean: a per-pixel array of shape \(9, 8, 3\)"):
        pnray.Preprocess(size=(8, 8), mean=np.zeros((9, 8, 3)))
    with pytest.raises(ValueError, match=r"^std: a per-pixel array of shape \(3, 6, 6\)"):
        pnray.Preprocess(size=10, crop=5, std=np.ones((3, 6, 6)))
    for fits in (np.zeros((8, 6, 3)), np.zeros((3, 8, 6)), np.zeros((1, 6, 1))):
        pnray.Preprocess(size=(8, 6), mean=fits)  # (H, W, C), (C, H, W), broadcast
    with pytest.raises(TypeError, match="convention"):
        pnray.Preprocess(convention=3)
    with pytest.raises(TypeError, match="batch: expected a dict"):
        pnray.Preprocess()(img)


def test_preprocess_keeps_the_callers_thread_count() -> None:
    img = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    pixnorm.set_num_threads(2)
    try:
        with pnray._one_thread():
            assert pixnorm.get_num_threads() == 1
        pnray.Preprocess(size=(8, 8))({"image": img[None]})
        assert pixnorm.get_num_threads() == 2
    finally:
        pixnorm.set_num_threads(None)


# ----------------------------------------------------------------------------------------------
# The command line


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Readable images of one size in several formats and modes, a corrupt PNG, a truncated
    JPEG and a text file (as in test_cli.py)."""
    root = tmp_path_factory.mktemp("images")
    (root / "a").mkdir()
    for i in range(12):
        arr = RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)
        Image.fromarray(arr).save(root / f"{i:02d}.png")
    Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)).save(root / "a" / "gray.png")
    Image.fromarray(RNG.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(root / "a" / "b.jpg")
    (root / "a" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    jpg = (root / "a" / "b.jpg").read_bytes()
    (root / "a" / "truncated.jpeg").write_bytes(jpg[: len(jpg) // 3])
    (root / "notes.txt").write_text("not an image")
    return root


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["stats", *args])
    out, err = capsys.readouterr()
    return code, out, err


def skip_lines(err: str) -> list[str]:
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("skipped "))
    return lines[start:]


@pytest.mark.parametrize(
    "per_pixel",
    [
        [],
        ["--per-pixel"],
        ["--per-pixel", "--size", "12", "14", "--crop", "9", "9", "--convention", "torch"],
    ],
    ids=["channel", "pixel", "pixel-resampled"],
)
def test_cli_equals_the_local_run(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], per_pixel: list[str]
) -> None:
    local, remote = tmp_path / "local.json", tmp_path / "ray.json"
    code, out, err = run([str(folder), "--json", str(local), *per_pixel], capsys)
    assert code == 0
    code_r, out_r, err_r = run([str(folder), "--ray", "--json", str(remote), *per_pixel], capsys)
    assert code_r == 0, err_r
    want, got = json.loads(local.read_text()), json.loads(remote.read_text())
    assert got == want  # the whole summary: statistics, skipped files and their reasons
    assert out_r == out
    assert skip_lines(err_r) == skip_lines(err)
    skipped = {Path(s["path"]).name: s["reason"] for s in got["skipped"]}
    assert set(skipped) == {"corrupt.png", "truncated.jpeg"}
    assert "UnidentifiedImageError" in skipped["corrupt.png"]  # too short for the core: Pillow
    assert want["images"] == 14  # 12 PNGs, the gray one (as RGB) and the JPEG


def test_cli_ray_before_the_path_and_the_demo(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local, remote = tmp_path / "local.json", tmp_path / "ray.json"
    assert run([str(folder), "--mode", "L", "--json", str(local)], capsys)[0] == 0
    assert run(["--ray", str(folder), "--mode", "L", "--json", str(remote)], capsys)[0] == 0
    assert json.loads(remote.read_text()) == json.loads(local.read_text())
    # a mistyped path after --ray is not an address either: not "cannot connect"
    code, _, err = run(["--ray", f"{folder}-typo", "--mode", "L"], capsys)
    assert code == 2 and f"--ray {folder}-typo: neither an address" in err, err
    pytest.importorskip("skimage")
    code, out, _ = run(["--per-pixel", "--json", str(local)], capsys)
    code_r, out_r, err_r = run(["--per-pixel", "--ray", "--json", str(remote)], capsys)
    assert code == code_r == 0, err_r
    assert out_r == out and json.loads(remote.read_text()) == json.loads(local.read_text())


def test_cli_per_pixel_mixed_sizes_exit_2(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for i, (h, w) in enumerate([(10, 12), (10, 12), (9, 12)]):
        Image.fromarray(RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(mixed / f"{i}.png")
    code, _, err = run([str(mixed), "--per-pixel"], capsys)
    code_r, _, err_r = run([str(mixed), "--per-pixel", "--ray"], capsys)
    assert code == code_r == 2
    assert "--per-pixel needs one image size" in err
    assert err_r.splitlines()[-1] == err.splitlines()[-1]
    code, _, err = run([str(folder), "--ray", "--workers", "2"], capsys)
    assert code == 2 and "--workers and --ray" in err


def test_unreachable_address_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """ray.init waits for ever for a head node that does not answer: the command line tries a
    TCP connection first (the module's session would be reused by connected(), so the check
    itself is tested). Ray Client addresses are refused: Ray Data does not run through it."""
    from pixnorm.cli import UsageError

    with pytest.raises(UsageError, match="--ray 127.0.0.1:1: cannot reach 127.0.0.1:1 \\("):
        pnray._check_reachable("127.0.0.1:1")
    pnray._check_reachable("auto")  # left to Ray
    # this session's own head node answers as gRPC
    pnray._check_reachable(ray._private.worker.global_worker.node.gcs_address)
    code, out, err = run(["--ray", "ray://127.0.0.1:10001"], capsys)
    assert code == 2 and out == ""
    assert "Ray Data does not run through Ray Client" in err and "--ray auto" in err


def test_ray_messages_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """Ray prints its cluster's messages (a worker that died, the retried task) on the
    driver's sys.stdout, the command line's result: connected() points it at stderr."""
    with pnray.connected("local"):  # the module's session, reused
        print("a message from Ray")
    print("the result")
    out, err = capsys.readouterr()
    assert out == "the result\n" and err == "a message from Ray\n"


def test_a_port_that_is_not_ray_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port that takes connections but is not a Ray head node (one that never answers, one
    that drips bytes, an HTTP/1 server, one that closes at once) made ray.init wait for ever
    (3 minutes measured): refused within the timeout, for the whole answer, saying why."""
    from pixnorm.cli import UsageError

    monkeypatch.setattr(pnray, "CONNECT_TIMEOUT", 0.5)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(
            UsageError, match=f":{port} takes connections but is not a Ray .*no gRPC reply"
        ):
            pnray._check_reachable(f"127.0.0.1:{port}")

    def serve(server: socket.socket, how: str) -> None:
        conn, _ = server.accept()
        with conn:
            if how == "drip":  # one byte at a time, each just inside the timeout
                for byte in b"\x00\x00\x00\x04\x00\x00\x00\x00\x00":
                    time.sleep(0.3)
                    with contextlib.suppress(OSError):
                        conn.sendall(bytes([byte]))
            elif how == "http":
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            # "close": nothing

    for how, message in (
        ("drip", "no gRPC reply within 0.5 s"),
        ("http", "it answered b'HTTP/1.1 '..., not as a gRPC server"),
        ("close", "it (closed|reset) the connection without a gRPC reply"),  # RST: data unread
    ):
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            thread = threading.Thread(target=serve, args=(server, how))
            thread.start()
            start = time.monotonic()
            with pytest.raises(UsageError, match=message if how == "close" else re.escape(message)):
                pnray._check_reachable(f"127.0.0.1:{port}")
            assert time.monotonic() - start < 1.5  # the whole answer within the timeout
            thread.join()


def test_a_loopback_port_ray_cannot_use_is_a_usage_error() -> None:
    """Ray reaches 127.0.0.1:PORT through the node's own address: a gRPC server listening on
    loopback only (a port forward) passed the probe and then ray.init hung."""
    from pixnorm.cli import UsageError

    node = ray.util.get_node_ip_address()
    if node.startswith("127.") or node == "::1":
        pytest.skip(f"this node's address is loopback ({node}): nothing to tell apart")

    def settings(server: socket.socket) -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(1024)
            conn.sendall(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")  # an HTTP/2 SETTINGS frame

    with socket.create_server(("127.0.0.1", 0)) as server:  # loopback only
        port = server.getsockname()[1]
        thread = threading.Thread(target=settings, args=(server,))
        thread.start()
        with pytest.raises(UsageError, match=f"Ray connects to 127.0.0.1 through .*{node}"):
            pnray._check_reachable(f"127.0.0.1:{port}")
        thread.join()


def test_terminate_kills_what_ignores_sigterm() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
         "signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    start = time.monotonic()
    pnray._terminate([child.pid], grace=0.3)
    assert child.wait(timeout=10) == -9 and time.monotonic() - start < 5


def test_a_driver_and_workers_of_different_pixnorms_are_told_so() -> None:
    batch = {"image": np.zeros((1, 4, 4, 3), np.uint8)}
    blob = pnray._block_stats(batch, column="image", options={"per_pixel": False})
    error = pickle.loads(blob[pnray._PARTIAL][0])
    assert isinstance(error, ValueError)
    assert "pixnorm differs between this driver" in str(error)


def test_the_cli_ends_cleanly_after_a_ray_run(folder: Path) -> None:
    """The command line (not main() called from Python) ends with os._exit after --ray, once
    the result is out: same output as the local run, exit 0."""
    cmd = [sys.executable, "-m", "pixnorm", "stats", str(folder), "--mode", "L"]
    local = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    remote = subprocess.run([*cmd, "--ray"], capture_output=True, text=True, timeout=300)
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout


# ----------------------------------------------------------------------------------------------
# Importing


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_import_pixnorm_does_not_import_ray() -> None:
    r = python("""
        import sys
        import pixnorm, pixnorm.cli, pixnorm.transforms, pixnorm.__main__
        assert "ray" not in sys.modules, "ray imported"
        """)
    assert r.returncode == 0, r.stderr


def test_without_ray_a_clear_import_error(folder: Path) -> None:
    r = python(
        """
        import sys
        sys.modules["ray"] = None  # as if Ray were not installed
        try:
            import pixnorm.ray
        except ImportError as e:
            print(e)
        from pixnorm.__main__ import main
        sys.exit(main(["stats", sys.argv[1], "--ray"]))
        """.replace("sys.argv[1]", repr(str(folder)))
    )
    assert "pip install '.[ray]' in a checkout, or 'ray[data]'" in r.stdout
    assert r.returncode == 2 and "--ray: pixnorm.ray needs Ray Data" in r.stderr
