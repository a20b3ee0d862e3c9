"""The normalizations people copy by hand, as keyword arguments: ``**pixnorm.presets.IMAGENET``
works in :func:`pixnorm.normalize`, :func:`pixnorm.preprocess`, :func:`pixnorm.preprocess_batch`
and :class:`pixnorm.Collate` (and ``pixnorm.transforms.Normalize(**IMAGENET)`` for the ones
that are plain ``mean`` / ``std``). Each is a read-only mapping; values are for uint8 RGB input.
float32 input in [0, 1] gets the same result from IMAGENET, INCEPTION and CLIP (float32's
default scale is 1); CAFFE fixes ``scale=1`` for 0-255 values, so float32 input must be in
[0, 255] there (a [0, 1] float image would be off by the whole mean pixel).

``IMAGENET``
    torchvision's pretrained models: ``mean=(0.485, 0.456, 0.406)``,
    ``std=(0.229, 0.224, 0.225)`` on values in [0, 1] (the ``transforms`` of every ImageNet
    weight in ``torchvision.models``).
``CAFFE``
    Caffe's VGG/ResNet weights and Keras ``imagenet_utils.preprocess_input(mode="caffe")``:
    RGB turned to BGR, values kept in [0, 255] (scale 1), the BGR mean pixel
    ``(103.939, 116.779, 123.68)`` subtracted, std 1. Held by a :class:`pixnorm.Normalizer`
    (``mean=Normalizer(mean, 1.0, scale=1.0)``), because ``Collate``'s ``scale`` is
    RandomResizedCrop's area range; plus ``color="bgr"``.
``INCEPTION``
    Inception v3, Xception, MobileNet and EfficientNet-style [-1, 1] inputs (Keras
    ``preprocess_input(mode="tf")``: ``x / 127.5 - 1``): ``mean=std=(0.5, 0.5, 0.5)`` on values
    in [0, 1], whose float32 coefficients are exactly ``2/255`` and ``-1``.
``CLIP``
    OpenAI CLIP (``clip.load``'s ``_transform``, and open_clip's ``OPENAI_DATASET_MEAN/STD``):
    ``mean=(0.48145466, 0.4578275, 0.40821073)``,
    ``std=(0.26862954, 0.26130258, 0.27577711)`` on values in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ._normalizer import Normalizer

__all__ = ["CAFFE", "CLIP", "IMAGENET", "INCEPTION"]

IMAGENET: Mapping[str, Any] = MappingProxyType(
    {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}
)
CAFFE: Mapping[str, Any] = MappingProxyType(
    {"mean": Normalizer((103.939, 116.779, 123.68), 1.0, scale=1.0), "color": "bgr"}
)
INCEPTION: Mapping[str, Any] = MappingProxyType({"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)})
CLIP: Mapping[str, Any] = MappingProxyType(
    {
        "mean": (0.48145466, 0.4578275, 0.40821073),
        "std": (0.26862954, 0.26130258, 0.27577711),
    }
)
