"""pixnorm.Collate: one preprocess call per batch, in DataLoader workers started by fork, spawn
and forkserver after the parent ran pixnorm's threads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import pixnorm
import pixnorm.transforms as P
from _mp_worker import ImageDataset
from test_threads import run_python

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def test_eval_batch_equals_the_transforms_image_by_image() -> None:
    torch = pytest.importorskip("torch")
    ds = ImageDataset(6)
    samples = [ds[i] for i in range(6)]
    batch, labels = pixnorm.collate(256, 224, mean=MEAN, std=STD)(samples)
    assert isinstance(batch, torch.Tensor) and batch.shape == (6, 3, 224, 224)
    assert labels[0].tolist() == list(range(6))
    # 'torch' (default) takes ToDtype(float32, scale=True)'s product, as v2 pipelines on tensors
    one = P.Compose(
        [P.Resize(256), P.CenterCrop(224), P.ToDtype(torch.float32, True), P.Normalize(MEAN, STD)]
    )
    for i, (img, _, _) in enumerate(samples):
        assert torch.equal(batch[i], one(img))
    b2 = pixnorm.Collate(256, 224, mean=MEAN, std=STD, to_tensor=False)(samples)[0]
    assert torch.equal(b2, batch)
    # to_tensor=True: ToTensor's division instead (the last bit differs on 126 levels)
    b3 = pixnorm.Collate(256, 224, mean=MEAN, std=STD, to_tensor=True)(samples)[0]
    two = P.Compose([P.Resize(256), P.CenterCrop(224), P.ToTensor(), P.Normalize(MEAN, STD)])
    assert torch.equal(b3[3], two(samples[3][0]))
    assert not torch.equal(b3, batch)


def test_default_torch_collate_is_torchvision_v2_on_tensors() -> None:
    """The README's claim: convention='torch' with its defaults gives v2's bits on uint8 tensors
    (eval and seeded training pipelines)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from torchvision.transforms import v2

    ds = ImageDataset(4)
    imgs = [ds[i][0] for i in range(4)]
    tensors = [torch.from_numpy(im).permute(2, 0, 1) for im in imgs]
    ev = v2.Compose(
        [v2.Resize(256), v2.CenterCrop(224), v2.ToDtype(torch.float32, scale=True),
         v2.Normalize(MEAN, STD)]
    )  # fmt: skip
    got = pixnorm.Collate(256, 224, mean=MEAN, std=STD)(imgs)
    assert torch.equal(got, torch.stack([ev(t) for t in tensors]))
    train = v2.Compose(
        [v2.RandomResizedCrop(224), v2.RandomHorizontalFlip(),
         v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
    )  # fmt: skip
    torch.manual_seed(3)
    expected = torch.stack([train(t) for t in tensors])
    torch.manual_seed(3)
    rrc = pixnorm.Collate((224, 224), mean=MEAN, std=STD, random_resized_crop=True)
    assert torch.equal(rrc(imgs), expected)


def test_pil_and_params_match_torchvision_pipeline() -> None:
    torch = pytest.importorskip("torch")
    T = pytest.importorskip("torchvision.transforms")
    from PIL import Image

    imgs = [Image.fromarray(ImageDataset(4)[i][0]) for i in range(4)]
    train = T.Compose(
        [T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)]
    )
    collate = pixnorm.Collate((224, 224), mean=MEAN, std=STD, convention="pillow")
    for seed in range(3):
        torch.manual_seed(seed)
        expected = torch.stack([train(im) for im in imgs])
        torch.manual_seed(seed)
        samples = [(im, 0, pixnorm.random_params(im.height, im.width)) for im in imgs]
        assert torch.equal(collate(samples)[0], expected)
        torch.manual_seed(seed)  # or drawn inside the collate, in the same order
        rrc = pixnorm.Collate(
            (224, 224), mean=MEAN, std=STD, convention="pillow", random_resized_crop=True
        )
        assert torch.equal(rrc([(im, 0) for im in imgs])[0], expected)


def test_pin_memory() -> None:
    torch = pytest.importorskip("torch")
    ds = ImageDataset(3)
    b = pixnorm.Collate(64, 64, pin_memory=True)([ds[i][0] for i in range(3)])
    assert isinstance(b, torch.Tensor) and b.shape == (3, 3, 64, 64)
    assert b.is_pinned() == torch.cuda.is_available()


def test_without_torch_numpy_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import pixnorm._collate as C

    monkeypatch.setattr(P, "_torch", lambda: None)
    monkeypatch.setattr(C, "_torch", lambda: None)
    ds = ImageDataset(3)
    nb, labels = pixnorm.Collate(64, 64, pin_memory=True, to_tensor=False)(
        [ds[i][:2] for i in range(3)]
    )
    assert isinstance(nb, np.ndarray) and nb.dtype == np.float32 and nb.shape == (3, 3, 64, 64)
    ref = pixnorm.preprocess_batch(
        [ds[i][0] for i in range(3)], size=64, crop=64, convention="torch"
    )
    np.testing.assert_array_equal(nb, ref)
    assert labels.shape == (3, 2)


def test_errors() -> None:
    with pytest.raises(ValueError, match="convention"):
        pixnorm.Collate(8, convention="cv")
    with pytest.raises(TypeError, match="pin_memory"):
        pixnorm.Collate(8, pin_memory=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size"):
        pixnorm.Collate(8, random_resized_crop=True)
    c = pixnorm.Collate(8)
    with pytest.raises(ValueError, match="samples"):
        c([])
    img = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match=r"samples\[1\]"):
        c([img, np.zeros((30, 90, 3), np.uint8)])
    with pytest.raises(ValueError, match="params"):
        c([(img, 0, (1, 2, 3))])
    # checked when built, not at the first batch
    with pytest.raises(ValueError, match="'opencv' has no antialiased"):
        pixnorm.Collate(8, convention="opencv")
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"scale": (0.5, 0.1)}, ValueError, "scale"),
        ({"ratio": (0, 1)}, ValueError, "ratio"),
        ({"scale": (-1, 0.1)}, ValueError, "scale"),
        ({"flip_p": 5}, ValueError, "flip_p"),
        ({"flip_p": True}, TypeError, "flip_p"),
    ]
    for kwargs, err, match in cases:
        with pytest.raises(err, match=match):
            pixnorm.Collate((8, 8), random_resized_crop=True, **kwargs)
        with pytest.raises(err, match=match):
            pixnorm.random_params(10, 10, **kwargs)
    with pytest.raises(ValueError, match="height, width"):
        pixnorm.random_params(0, 10)
    with pytest.raises(TypeError, match="height"):
        pixnorm.random_params(10.5, 10)  # type: ignore[arg-type]
    # errors name the sample
    with pytest.raises(TypeError, match=r"samples\[0\]: params"):
        c([(img, 0, 5)])
    with pytest.raises(TypeError, match=r"samples\[1\]: image"):
        c([(img, 1), (img.astype(np.float64), 1)])
    with pytest.raises(TypeError, match=r"samples\[0\] flip"):
        c([(img, 0, (0, 0, 5, 5, "yes"))])
    with pytest.raises(TypeError, match=r"samples\[0\] flip"):
        c([(img, 0, (0, 0, 5, 5, 2))])
    # params as they come from user code: 0 / 1 flags, numpy arrays, torch tensors
    c8 = pixnorm.Collate((8, 8))
    want = c8([(img, 0, (0, 0, 10, 10, True))])[0]
    for params in [(0, 0, 10, 10, 1), np.array([0, 0, 10, 10, 1]), (0, 0, 10, 10, np.bool_(True))]:
        np.testing.assert_array_equal(np.asarray(c8([(img, 0, params)])[0]), np.asarray(want))
    torch = pytest.importorskip("torch")
    for params in [torch.tensor([0, 0, 10, 10, 1]), (0, 0, 10, 10, torch.tensor([True]))]:
        assert torch.equal(c8([(img, 0, params)])[0], want)


LOADER = """
    import sys, warnings
    import numpy as np, torch
    from torch.utils.data import DataLoader
    import pixnorm
    from _mp_worker import ImageDataset, two_threads
    pixnorm.set_num_threads(2)
    big = np.zeros((2000, 2000, 3), np.uint8)
    pixnorm.preprocess(big, size=1000)  # the parent has run a thread team
    def run(workers, method=None, init=None, train=False):
        collate = pixnorm.Collate((224, 224) if train else 256, None if train else 224,
                                  mean=[0.5, 0.4, 0.3], std=[0.2, 0.2, 0.2])
        loader = DataLoader(ImageDataset(24, train), batch_size=5, num_workers=workers,
                            collate_fn=collate, multiprocessing_context=method,
                            worker_init_fn=init)
        return [(b, l) for b, l in loader]
    method = sys.argv[1] if len(sys.argv) > 1 else "{method}"
    for train in (False, True):
        ref = run(0, train=train)
        got = run(2, method, train=train)
        assert len(ref) == len(got) == 5
        for (rb, rl), (gb, gl) in zip(ref, got):
            assert torch.equal(rb, gb) and torch.equal(rl[0], gl[0])
        print("threads", sorted(set(t for _, l in got for t in l[1].tolist())))
    # pixnorm.transforms pickled into the workers give the collate's eval batches
    import pixnorm.transforms as P
    from _mp_worker import TransformDataset
    tf = P.Compose([P.Resize(256), P.CenterCrop(224), P.ToDtype(torch.float32, scale=True),
                    P.Normalize([0.5, 0.4, 0.3], [0.2, 0.2, 0.2])])
    loader = DataLoader(TransformDataset(tf), batch_size=5, num_workers=2,
                        multiprocessing_context=method)
    for (b, _), (rb, _) in zip(loader, run(0)):
        assert torch.equal(b, rb)
    with warnings.catch_warnings(record=True):
        got = run(2, method, init=two_threads)
    print("init", sorted(set(t for _, l in got for t in l[1].tolist())))
"""


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_dataloader_workers_after_threads(method: str) -> None:
    pytest.importorskip("torch")
    out = run_python(LOADER.replace("{method}", method), timeout=300)
    lines = out.split("\n")
    assert lines[0] == lines[1] == "threads [1]", out  # workers default to one pixnorm thread
    threads = pixnorm.build_info()["threads"] is not None
    # worker_init_fn can raise the count, with every start method (fork included)
    expected = "init [2]" if threads else "init [1]"
    assert lines[2] == expected, out


@pytest.mark.parametrize("with_torch", [True, False])
def test_a_batch_too_large_to_allocate_is_memory_error(
    monkeypatch: pytest.MonkeyPatch, with_torch: bool
) -> None:
    """(1, 3, 2**24, 2**24) float32 is 3.4 PB: a MemoryError naming size and crop, not torch's
    RuntimeError from its allocator."""
    if with_torch:
        pytest.importorskip("torch")
    else:
        import pixnorm._collate as C

        monkeypatch.setattr(P, "_torch", lambda: None)
        monkeypatch.setattr(C, "_torch", lambda: None)
    img = np.zeros((4, 4, 3), np.uint8)  # square: size=2**24 keeps both sides at the limit
    for collate in (
        pixnorm.Collate(size=(2**24, 2**24)),
        pixnorm.Collate(size=2**24, crop=(2**24, 2**24)),
    ):
        with pytest.raises(
            MemoryError, match=r"^size, crop: a float32 batch of shape \(1, 3, 16777216"
        ):
            collate([img])


def _edged_images(
    seed: int, n: int, sides: tuple[int, int], patch: tuple[slice, slice]
) -> tuple[list[np.ndarray[Any, Any]], list[Any]]:
    """n random RGB images with sides in [sides[0], sides[1]) and a bright patch (edges, so that
    a wrong sample or flip shows), and the same as uint8 (C, H, W) tensors."""
    import torch

    rng = np.random.default_rng(seed)
    imgs = []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(*sides, size=2))
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        img[patch] = 250
        imgs.append(img)
    return imgs, [torch.from_numpy(a).permute(2, 0, 1).contiguous() for a in imgs]


def test_warp_follows_torchvisions_per_sample_pipeline() -> None:
    """Collate(warp=RandomRotation / RandomAffine): per sample the box, the warp's parameters,
    then the flip, drawn and applied as torchvision v2's Compose([RandomResizedCrop, the warp,
    RandomHorizontalFlip, ToDtype, Normalize]) on uint8 tensors, bit for bit with the same seed
    and the same number of draws ('torch'); Image.rotate's on PIL images ('pillow'); and, with
    params from the samples, the given boxes and flips around the drawn warp."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from PIL import Image
    from torchvision.transforms import v2

    imgs, tensors = _edged_images(41, 6, (40, 90), (slice(10, 30), slice(15, 35)))
    bil = v2.InterpolationMode.BILINEAR
    warps = [
        v2.RandomRotation(15),
        v2.RandomRotation(40, interpolation=bil, fill=[10, 20, 30], center=[5.0, 7.0]),
        v2.RandomAffine(10, translate=(0.1, 0.2), scale=(0.9, 1.2), shear=(-5, 5, -3, 3),
                        interpolation=bil, fill=7),
    ]  # fmt: skip
    to_float = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
    for tw in warps:
        tv = v2.Compose([v2.RandomResizedCrop((32, 40)), tw, v2.RandomHorizontalFlip(), *to_float])
        for warp in (tw, P.from_torchvision(v2.Compose([tw])).transforms[0]):
            coll = pixnorm.Collate(size=(32, 40), random_resized_crop=True, warp=warp,
                                   mean=MEAN, std=STD)  # fmt: skip
            for seed in range(4):
                torch.manual_seed(seed)
                want = torch.stack([tv(t) for t in tensors])
                after_tv = torch.rand(1)
                torch.manual_seed(seed)
                got, labels = coll([(t, k) for k, t in enumerate(tensors)])
                assert torch.equal(torch.rand(1), after_tv)  # as many draws
                assert torch.equal(got, want), (tw, seed)
                assert labels.tolist() == list(range(6))
    # PIL images: torchvision v1's pipeline with Image.rotate, ToTensor's division
    tv1 = pytest.importorskip("torchvision.transforms")
    pils = [Image.fromarray(a) for a in imgs]
    rot = v2.RandomRotation(20, interpolation=bil)
    pipe = tv1.Compose([tv1.RandomResizedCrop(24), rot, tv1.RandomHorizontalFlip(),
                        tv1.ToTensor(), tv1.Normalize(MEAN, STD)])  # fmt: skip
    coll = pixnorm.Collate(size=(24, 24), random_resized_crop=True, warp=rot, mean=MEAN,
                           std=STD, convention="pillow")  # fmt: skip
    for seed in range(4):
        torch.manual_seed(seed)
        want = torch.stack([pipe(p) for p in pils])
        torch.manual_seed(seed)
        assert torch.equal(coll([(p, 0) for p in pils])[0], want)
    # params from the samples: their box and flip, the angle drawn here
    params = [(3, 4, 30, 25, True), (0, 0, 40, 40, False)]
    coll = pixnorm.Collate(size=(20, 20), warp=P.RandomRotation(30), mean=MEAN, std=STD)
    torch.manual_seed(3)
    got = coll([(t, 0, p) for t, p in zip(tensors[:2], params, strict=True)])[0]
    torch.manual_seed(3)
    for k, (top, left, h, w, flip) in enumerate(params):
        x = v2.functional.resized_crop(tensors[k], top, left, h, w, [20, 20], antialias=True)
        angle = float(torch.empty(1).uniform_(-30.0, 30.0).item())
        x = v2.functional.rotate(x, angle, fill=0)
        x = v2.functional.horizontal_flip(x) if flip else x
        want1 = v2.Normalize(MEAN, STD)(v2.functional.to_dtype(x, torch.float32, scale=True))
        assert torch.equal(got[k], want1), k


def test_warp_in_every_output_format_and_its_errors() -> None:
    """warp= writes the batch in every dtype and layout the Collate writes (float16 / bfloat16:
    the float32 batch rounded once; uint8: the warped levels; HWC: the same values), draws the
    same numbers in each; refuses what it cannot do, naming the argument."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(43)
    imgs = [rng.integers(0, 256, (50, 60, 3), dtype=np.uint8) for _ in range(3)]
    samples = [(img, 0) for img in imgs]
    warp = P.RandomRotation(25, interpolation="bilinear")

    def batch(**kw: Any) -> Any:
        torch.manual_seed(5)
        return pixnorm.Collate(size=(30, 30), random_resized_crop=True, warp=warp, **kw)(samples)[0]

    for conv in ("torch", None):
        base = batch(mean=MEAN, std=STD, convention=conv)
        assert base.shape == (3, 3, 30, 30) and base.dtype == torch.float32
        for half in (torch.float16, torch.bfloat16):
            assert torch.equal(batch(mean=MEAN, std=STD, convention=conv, dtype=half),
                               base.to(half))  # fmt: skip
        hwc = batch(mean=MEAN, std=STD, convention=conv, layout="HWC")
        assert torch.equal(hwc, base.permute(0, 2, 3, 1))
        levels = batch(convention=conv, dtype=torch.uint8)
        assert levels.dtype == torch.uint8
        if conv == "torch":  # the levels, then ToDtype and Normalize: the float batch
            x = levels.to(torch.float32) * torch.tensor(1 / 255, dtype=torch.float32)
            m = torch.tensor(MEAN).view(1, 3, 1, 1)
            s = torch.tensor(STD).view(1, 3, 1, 1)
            assert torch.equal((x - m) / s, base)
    with pytest.raises(TypeError, match="^warp: expected a pixnorm.transforms.RandomRotation"):
        pixnorm.Collate(size=(8, 8), warp=P.RandomHorizontalFlip())
    with pytest.raises(ValueError, match="^warp: expand=True"):
        pixnorm.Collate(size=(8, 8), warp=P.RandomRotation(10, expand=True))
    with pytest.raises(ValueError, match="^warp: interpolation"):
        pixnorm.Collate(size=(8, 8), warp=P.RandomRotation(10, interpolation="bicubic"))
    with pytest.raises(ValueError, match="^warp: torchvision maps PIL images"):
        pixnorm.Collate(size=(8, 8), warp=P.RandomAffine(10), convention="pillow")
    per_pixel = np.full((8, 8, 3), 0.5, np.float32)
    with pytest.raises(ValueError, match="^warp: warps take per-channel"):
        pixnorm.Collate(size=(8, 8), warp=P.RandomRotation(10), mean=per_pixel, std=0.25)
    with pytest.raises(ValueError, match="^warp: .*fill in 0..255"):
        pixnorm.Collate(size=(8, 8), warp=P.RandomRotation(10, fill=300))(samples)
    assert "warp=RandomRotation(degrees=(-25.0, 25.0)" in repr(
        pixnorm.Collate(size=(8, 8), warp=warp)
    )


def test_warp_batches_in_chunks_of_levels() -> None:
    """warp= resizes the batch a few images at a time into one levels buffer of about 1.5 MB
    (at least one image per thread): batches of large outputs take several chunks, the last one
    partial. Every image still equals torchvision v2's pipeline ('torch') and, in convention
    None, the same samples collated one at a time (a one-image chunk each), at 1 and 2 threads;
    a batch of mixed channel counts (color='rgb' makes it one batch) equals its samples one at a
    time, and without color the whole batch's check names the sample."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from torchvision.transforms import v2

    imgs, tensors = _edged_images(47, 7, (200, 260), (slice(40, 90), slice(50, 120)))
    size = (400, 400)  # uint8 levels 480 kB: chunks of 3, 3, 1; float32 1.9 MB: one per thread
    rot = v2.RandomRotation(20, interpolation=v2.InterpolationMode.BILINEAR)
    tv = v2.Compose([v2.RandomResizedCrop(size), rot, v2.RandomHorizontalFlip(),
                     v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])  # fmt: skip
    old = pixnorm.get_num_threads()
    try:
        for threads in (1, 2):
            pixnorm.set_num_threads(threads)
            coll = pixnorm.Collate(size=size, random_resized_crop=True, warp=rot, mean=MEAN,
                                   std=STD, convention="torch")  # fmt: skip
            torch.manual_seed(threads)
            want = torch.stack([tv(t) for t in tensors])
            torch.manual_seed(threads)
            assert torch.equal(coll([(t, 0) for t in tensors])[0], want), threads
            own = pixnorm.Collate(size=size, random_resized_crop=True, warp=rot, mean=MEAN,
                                  std=STD)  # fmt: skip
            torch.manual_seed(5)
            one = torch.cat([own([(a, 0)])[0] for a in imgs])
            torch.manual_seed(5)
            assert torch.equal(own([(a, 0) for a in imgs])[0], one), threads
        pixnorm.set_num_threads(1)
        gray = imgs[4][:, :, :1]
        mixed = [(a, 0) for a in imgs[:4]] + [(gray, 0)] + [(a, 0) for a in imgs[5:]]
        rgb = pixnorm.Collate(size=size, random_resized_crop=True, warp=rot, mean=MEAN, std=STD,
                              color="rgb")  # fmt: skip
        torch.manual_seed(6)
        one = torch.cat([rgb([s])[0] for s in mixed])
        torch.manual_seed(6)
        assert torch.equal(rgb(mixed)[0], one)
        plain = pixnorm.Collate(size=size, warp=rot, mean=MEAN, std=STD)
        with pytest.raises(
            ValueError, match=r"^samples\[4\]: has 1 channel, the first image has 3"
        ):
            plain(mixed)
    finally:
        pixnorm.set_num_threads(old)
    # the whole batch is checked before the chunks: a later chunk's bad box is named as the
    # batch's sample (the hostile review's case: boxes[3] in the fourth one-image chunk)
    pixnorm.set_num_threads(1)
    try:
        big = [np.zeros((300, 300, 3), np.uint8)] * 4
        cubic = pixnorm.Collate(factor=1.5, crop=(400, 400), convention="opencv",
                                interpolation="bicubic", antialias=False, warp=rot)  # fmt: skip
        bad = [(a, k, (0, 0, 300 - (k == 3), 300 - (k == 3), False)) for k, a in enumerate(big)]
        with pytest.raises(ValueError, match=r"^factor: boxes\[3\] \(299 x 299\)"):
            cubic(bad)
    finally:
        pixnorm.set_num_threads(old)


def test_warp_review_mends() -> None:
    """The hostile review: more than 4 channels through warp= (its own (H, W, C) levels were
    refused as a user array); torchvision v1's warps and unmappable v2 ones say why; a tensor
    on another device goes to torchvision's own transform."""
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("torchvision.transforms")
    from torchvision.transforms import v2

    img = np.random.default_rng(0).integers(0, 256, (20, 24, 5), dtype=np.uint8)
    torch.manual_seed(1)
    got = pixnorm.Collate(size=(8, 8), warp=P.RandomRotation(10))([(img, 0)])[0]
    assert got.shape == (1, 5, 8, 8)
    torch.manual_seed(1)
    plain = pixnorm.Collate(size=(8, 8), warp=P.RandomRotation((0, 0)))([(img, 0)])[0]
    assert torch.equal(plain, pixnorm.Collate(size=(8, 8))([(img, 0)])[0])  # 0 degrees: as is
    with pytest.raises(TypeError, match="^warp: torchvision v1's RandomRotation"):
        pixnorm.Collate(size=(8, 8), warp=tv.RandomRotation(10))
    with pytest.raises(ValueError, match="^warp: torchvision's RandomRotation with these"):
        pixnorm.Collate(size=(8, 8), warp=v2.RandomRotation(10, fill={torch.Tensor: 5}))
    meta = torch.empty((3, 10, 12), dtype=torch.uint8, device="meta")
    torch.manual_seed(2)
    out = P.RandomRotation(10)(meta)
    assert out.device.type == "meta" and out.shape == (3, 10, 12)
