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
