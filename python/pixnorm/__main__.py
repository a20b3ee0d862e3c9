"""``python -m pixnorm [info | stats]``: what was built and chosen, a one-line demo, and dataset
statistics of image files (``pixnorm stats --help``)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence

import numpy as np

import pixnorm
from pixnorm.cli import add_stats_parser, exit_after_ray, run_stats

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _median_us(fns: Sequence[Callable[[], object]], reps: int = 50) -> list[float]:
    """Median microseconds of each function, timed in interleaved rounds (a busy moment of a
    shared machine then slows every candidate alike instead of one)."""
    times: list[list[int]] = [[] for _ in fns]
    for _ in range(reps):
        for t, fn in zip(times, fns, strict=True):
            t0 = time.perf_counter_ns()
            fn()
            t.append(time.perf_counter_ns() - t0)
    return [float(np.median(t)) / 1e3 for t in times]


def info(as_json: bool) -> int:
    build = pixnorm.build_info()
    if as_json:
        print(json.dumps(build, indent=2))
        return 0
    print(f"pixnorm {build['version']} ({build['compiler']})")
    print(f"  ISAs compiled: {', '.join(build['isas_compiled'])}")
    print(f"  ISAs this CPU runs: {', '.join(build['isas_supported'])}; active: {build['isa']}")
    print(
        f"  threads: {build['num_threads']} "
        f"({'pixnorm pool' if build['threads'] else 'built without threads'})"
    )

    # Demo: an ImageNet-normalized 224x224 tensor, checked against the plain numpy expression.
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    mean = np.array(IMAGENET_MEAN, np.float32)
    std = np.array(IMAGENET_STD, np.float32)
    out = np.empty((3, 224, 224), np.float32)

    def with_numpy() -> np.ndarray:
        chw = ((img.astype(np.float32) / 255 - mean) / std).transpose(2, 0, 1)
        return np.ascontiguousarray(chw)

    expected = with_numpy()
    got = pixnorm.normalize(img, IMAGENET_MEAN, IMAGENET_STD, out=out)
    err = float(np.max(np.abs(got - expected)))
    t_px, t_np = _median_us(
        [lambda: pixnorm.normalize(img, IMAGENET_MEAN, IMAGENET_STD, out=out), with_numpy]
    )
    threads = pixnorm.get_num_threads()
    print("demo: 224x224 RGB uint8 -> ImageNet-normalized float32 CHW")
    print(f"  max |pixnorm - numpy| = {err:.2e}")
    print(
        f"  pixnorm {t_px:.1f} us ({threads} thread{'s' if threads > 1 else ''}), numpy "
        f"{t_np:.1f} us: {t_np / t_px:.1f}x faster (medians of 50 interleaved rounds)"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pixnorm",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command")
    p_info = sub.add_parser("info", help="build and CPU information, and a short demo (default)")
    p_info.add_argument("--json", action="store_true", help="print build_info() as JSON")
    add_stats_parser(sub)
    args = parser.parse_args(argv)
    if args.command in (None, "info"):
        return info(getattr(args, "json", False))
    if args.command == "stats":
        # the command line itself (argv from sys.argv), not a call from Python: after --ray it
        # ends the process the hard way once the result is out (see cli.exit_after_ray)
        args.exit_hard = argv is None
        code = run_stats(args)
        if args.exit_hard and args.ray is not None:
            exit_after_ray(code)
        return code
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
