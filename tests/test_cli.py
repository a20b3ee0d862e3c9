"""The ``pixnorm stats`` command: on a temporary folder of images (with a corrupt file), its
JSON, its PNG, worker processes, the demo data set, and its exit codes."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from fractions import Fraction
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pixnorm
from pixnorm.__main__ import main

Image = pytest.importorskip("PIL.Image")

H, W = 20, 30


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nine readable images of one size in several formats and modes (RGB, L, RGBA, P), in
    nested folders, plus a corrupt PNG, a truncated JPEG and a text file."""
    root = tmp_path_factory.mktemp("images")
    (root / "a" / "b").mkdir(parents=True)
    rng = np.random.default_rng(0)

    def rgb() -> Any:
        return rng.integers(0, 256, (H, W, 3), dtype=np.uint8)

    Image.fromarray(rgb()).save(root / "one.png")
    Image.fromarray(rgb()).save(root / "two.PNG")
    Image.fromarray(rgb()).save(root / "three.bmp")
    Image.fromarray(rgb()).save(root / "a" / "four.jpg", quality=90)
    Image.fromarray(rgb()).save(root / "a" / "five.tif")
    Image.fromarray(rgb()).save(root / "a" / "b" / "six.webp", lossless=True)
    Image.fromarray(rgb()[..., 0]).save(root / "a" / "gray.png")
    Image.fromarray(rng.integers(0, 256, (H, W, 4), dtype=np.uint8)).save(root / "a" / "rgba.png")
    Image.fromarray(rgb()).convert("P").save(root / "a" / "b" / "palette.png")
    (root / "a" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    jpg = (root / "a" / "four.jpg").read_bytes()
    (root / "a" / "b" / "truncated.jpeg").write_bytes(jpg[: len(jpg) // 3])
    (root / "notes.txt").write_text("not an image")
    return root


BAD = {"corrupt.png", "truncated.jpeg"}


def readable(folder: Path) -> list[Path]:
    exts = {".png", ".bmp", ".jpg", ".jpeg", ".tif", ".webp"}
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in exts)
    return [p for p in files if p.name not in BAD]


def expected(folder: Path, mode: str = "RGB", per_pixel: bool = False) -> pixnorm.RunningStats:
    s = pixnorm.RunningStats(per_pixel=per_pixel)
    for p in readable(folder):
        with Image.open(p) as im:
            s.update(np.asarray(im.convert(mode)))
    return s


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["stats", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("per_pixel", [False, True])
def test_folder_single_pass(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], per_pixel: bool
) -> None:
    out_json = tmp_path / "stats.json"
    args = [str(folder), "--json", str(out_json)] + (["--per-pixel"] if per_pixel else [])
    code, out, err = run(args, capsys)
    assert code == 0
    want = expected(folder, per_pixel=per_pixel)
    data = json.loads(out_json.read_text())
    assert data["stats"] == want.to_dict()  # exact: the same integer sums
    assert data["images"] == 9 and data["channels"] == 3 and data["dtype"] == "uint8"
    np.testing.assert_allclose(data["normalize"]["mean"], want.mean01, rtol=1e-15)
    np.testing.assert_allclose(data["normalize"]["std"], want.std01(), rtol=1e-15)
    assert sorted(Path(s["path"]).name for s in data["skipped"]) == sorted(BAD)
    # ready to paste
    line = next(x for x in out.splitlines() if x.startswith("Normalize("))
    mean = ", ".join(f"{v:.4f}" for v in want.mean01)
    std = ", ".join(f"{v:.4f}" for v in want.std01())
    assert line == f"Normalize(mean=[{mean}], std=[{std}])"
    assert "skipped 2 file(s)" in err and "corrupt.png" in err and "truncated.jpeg" in err
    assert "%|" not in err  # not a terminal: no progress bar
    assert pixnorm.RunningStats.from_dict(data["stats"]).to_dict() == want.to_dict()


@pytest.mark.parametrize("per_pixel", [False, True])
def test_workers_equal_a_single_pass(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], per_pixel: bool
) -> None:
    extra = ["--per-pixel"] if per_pixel else []
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert run([str(folder), "--json", str(one), *extra], capsys)[0] == 0
    code, _, err = run([str(folder), "--workers", "3", "--json", str(two), *extra], capsys)
    assert code == 0, err
    a, b = json.loads(one.read_text()), json.loads(two.read_text())
    assert a["stats"] == b["stats"] and a["images"] == b["images"] == 9
    assert sorted(s["path"] for s in a["skipped"]) == sorted(s["path"] for s in b["skipped"])


def test_plot_is_a_png_of_the_expected_size(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    from pixnorm import cli

    for per_pixel in ([], ["--per-pixel"]):
        png = tmp_path / f"plot{len(per_pixel)}.png"
        assert run([str(folder), "--plot", str(png), *per_pixel], capsys)[0] == 0
        with Image.open(png) as im:
            assert im.format == "PNG"
            assert im.size == (cli.PLOT_SIZE[0] * cli.PLOT_DPI, cli.PLOT_SIZE[1] * cli.PLOT_DPI)
            im.verify()


def test_modes(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "l.json"
    assert run([str(folder), "--mode", "L", "--json", str(out)], capsys)[0] == 0
    data = json.loads(out.read_text())
    assert data["channels"] == 1 and data["stats"] == expected(folder, "L").to_dict()
    # keep: the first image read (RGB) fixes C = 3; gray and RGBA files are skipped, saying why
    code, out_text, err = run([str(folder), "--mode", "keep", "--json", str(out)], capsys)
    assert code == 0
    data = json.loads(out.read_text())
    reasons = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert "channel" in reasons["gray.png"] and "channel" in reasons["rgba.png"]
    assert "--mode RGB or L" in reasons["gray.png"]  # the command line's words
    assert data["images"] == 7
    # the same with worker processes: they skip exactly the files a single pass skips
    two = tmp_path / "keep2.json"
    assert (
        run([str(folder), "--mode", "keep", "--workers", "2", "--json", str(two)], capsys)[0] == 0
    )
    assert json.loads(two.read_text())["stats"] == data["stats"]


def test_progress_bar_when_asked(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    code, _, err = run([str(folder), "--progress", "on"], capsys)
    assert code == 0 and "100%" in err and "11/11" in err  # 9 images, 2 corrupt files
    assert "%|" not in run([str(folder), "--progress", "off"], capsys)[2]


def test_demo_data_set_without_a_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("skimage")
    pytest.importorskip("matplotlib")
    out, png = tmp_path / "faces.json", tmp_path / "faces.png"
    code, text, _ = run(["--per-pixel", "--json", str(out), "--plot", str(png)], capsys)
    assert code == 0 and "lfw_subset" in text and "Normalize(mean=[" in text
    data = json.loads(out.read_text())
    assert data["images"] == 100 and data["stats"]["shape"] == [25, 25]
    with Image.open(png) as im:
        assert im.format == "PNG"


def test_size_resizes_first(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "sized.json"
    code, _, _ = run(
        [str(folder), "--per-pixel", "--size", "6", "7", "--json", str(out_json)], capsys
    )
    assert code == 0
    want = pixnorm.RunningStats(per_pixel=True, size=(6, 7))
    for p in readable(folder):
        with Image.open(p) as im:
            want.update(np.asarray(im.convert("RGB")))
    assert json.loads(out_json.read_text())["stats"] == want.to_dict()


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize(
    "flags, options",
    [
        (["--size", "9", "11", "--crop", "6", "7"], {"size": (9, 11), "crop": (6, 7)}),
        (["--crop", "5", "6"], {"crop": (5, 6)}),
        (
            ["--size", "8", "8", "--convention", "torch", "--no-antialias"],
            {"size": (8, 8), "convention": "torch", "antialias": False},
        ),
        (
            ["--size", "10", "9", "--crop", "7", "7", "--convention", "pillow"],
            {"size": (10, 9), "crop": (7, 7), "convention": "pillow"},
        ),
        (
            ["--size", "12", "--crop", "9", "--convention", "torch"],
            {"size": 12, "crop": (9, 9), "convention": "torch"},
        ),
        (
            ["--size", "10", "9", "--color", "gray", "--convention", "pillow"],
            {"size": (10, 9), "color": "gray", "convention": "pillow"},
        ),
        (["--crop", "5", "6", "--color", "ycbcr"], {"crop": (5, 6), "color": "ycbcr"}),
        (
            ["--size", "10", "9", "--convention", "pillow", "--interpolation", "bicubic"],
            {"size": (10, 9), "convention": "pillow", "interpolation": "bicubic"},
        ),
        (
            ["--size", "11", "8", "--interpolation", "lanczos"],
            {"size": (11, 8), "interpolation": "lanczos"},
        ),
    ],
)
def test_crop_convention_and_antialias_as_preprocess(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    options: dict[str, Any],
    workers: str,
) -> None:
    """The statistics of what the model sees: --crop, --convention and --no-antialias are
    RunningStats' (and so preprocess's) options of those names, per channel and per pixel."""
    out_json = tmp_path / "cropped.json"
    code, _, err = run(
        [str(folder), "--per-pixel", *flags, "--workers", workers, "--json", str(out_json)],
        capsys,
    )
    assert code == 0, err
    want = pixnorm.RunningStats(per_pixel=True, **options)
    for p in readable(folder):
        with Image.open(p) as im:
            want.update(np.asarray(im.convert("RGB")))
    got = json.loads(out_json.read_text())["stats"]
    expected = json.loads(json.dumps(want.to_dict()))
    floats = "convention" not in options  # the default convention resamples to floats
    assert got["color"] == options.get("color")
    if workers == "1" or not floats:
        assert got == expected  # uint8 levels: exact integer sums in any grouping
    else:
        # two workers merge float accumulators in another grouping: the last bits differ
        # (RunningStats' merge bound; 1e-12 relative is far above it and far below a real error)
        assert {k: v for k, v in got.items() if k != "state"} == {
            k: v for k, v in expected.items() if k != "state"
        }
        for key, value in expected["state"].items():
            np.testing.assert_allclose(got["state"][key], value, rtol=1e-12, atol=1e-9)
    assert got["crop"] == (list(options["crop"]) if "crop" in options else None)


def test_crop_fixes_the_per_pixel_shape_of_mixed_sizes(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "one.png").write_bytes((folder / "one.png").read_bytes())
    Image.new("RGB", (W + 3, H + 1), (10, 20, 30)).save(mixed / "bigger.png")
    Image.new("RGB", (3, 3)).save(mixed / "small.png")  # smaller than the crop: skipped
    code, out, err = run([str(mixed), "--per-pixel", "--crop", "4", "5"], capsys)
    assert code == 0 and "2 images" in out
    assert "small.png" in err and "crop" in err


def test_resampling_usage_errors(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for flags, message in (
        (["--crop", "0", "4"], "--crop: expected positive N or H W, got 0 4"),
        (["--size", "4", "4", "4"], "--size: expected N or H W, got 4 4 4"),
        (["--size", "4", "--crop", "5"], "--crop 5 5 is larger than --size 4 makes the shorter"),
        (["--size", "4", "4", "--crop", "5", "4"], "--crop 5 4 is larger than --size 4 4"),
        (["--convention", "torch"], "--convention changes how images are resized: it needs"),
        (["--color", "yuv", "--convention", "pillow"], "Pillow defines no 'yuv'"),
        (["--no-antialias"], "--no-antialias changes how images are resized: it needs --size"),
        (["--size", "4", "4", "--convention", "opencv"], "add --no-antialias"),
        (["--size", "4", "4", "--convention", "pillow", "--no-antialias"], "drop --no-antialias"),
        (["--interpolation", "bicubic"], "--interpolation changes how images are resized"),
        (["--interpolation", "bicubic", "--color", "gray"], "--interpolation changes how"),
        (
            ["--size", "4", "4", "--convention", "torch", "--interpolation", "lanczos"],
            "'lanczos' is not reproduced",
        ),
    ):
        code, out, err = run([str(folder), *flags], capsys)
        assert code == 2 and out == "", (flags, err)
        assert re.search(message, err), (flags, err)
    with pytest.raises(SystemExit):
        main(["stats", str(folder), "--convention", "cv2"])
    with pytest.raises(SystemExit):
        main(["stats", str(folder), "--color", "grey"])


def test_usage_errors_exit_2(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([str(tmp_path / "missing")], capsys)
    assert code == 2 and "missing: no such file or directory" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("x")
    code, _, err = run([str(empty)], capsys)
    assert code == 2 and "no images" in err
    code, _, err = run([str(folder), "--workers", "0"], capsys)
    assert code == 2 and "--workers" in err
    with pytest.raises(SystemExit) as e:
        main(["stats", "--mode", "CMYK"])
    assert e.value.code == 2


def test_no_readable_image_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.png").write_bytes(b"junk")
    code, _, err = run([str(tmp_path)], capsys)
    assert code == 1 and "none of the 1 file(s) could be used" in err


def test_python_m_and_console_script(folder: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pixnorm", "stats", str(folder / "one.png")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "Normalize(mean=[" in r.stdout and r.stderr == ""
    scripts = metadata.entry_points(group="console_scripts")
    assert any(ep.name == "pixnorm" and ep.value == "pixnorm.__main__:main" for ep in scripts)


# ----------------------------------------------------------------------------------------------
# Issue 11 and 13: bit depths, output files, per-pixel sizes, the skip list, symbolic links

RNG16 = np.random.default_rng(16)
# 16-bit values are exact in float32; the mean and variance run in float64 (Welford, merged
# with Chan et al.), so they match the float64 numpy values to rounding, not exactly.
RTOL_FLOAT = 1e-12


def _save_16bit(folder: Path) -> Any:
    """Three 16-bit gray images (Pillow modes I;16 in a PNG, I;16B and I in TIFFs) whose mean
    is near 33,000, far above 255; returns all their values."""
    folder.mkdir(exist_ok=True)
    values = [RNG16.integers(0, 65536, (H, W)).astype(np.uint16) for _ in range(3)]
    Image.fromarray(values[0]).save(folder / "i16.png")
    Image.frombytes("I;16B", (W, H), values[1].astype(">u2").tobytes()).save(folder / "i16b.tif")
    Image.fromarray(values[2].astype(np.int32)).save(folder / "i32.tif")
    for name, mode in (("i16.png", "I;16"), ("i16b.tif", "I;16B"), ("i32.tif", "I")):
        with Image.open(folder / name) as im:
            assert im.mode == mode  # what this test is about
    return np.stack(values).astype(np.float64)


@pytest.mark.parametrize("mode", ["RGB", "L", "keep"])
def test_16bit_images_keep_their_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    values = _save_16bit(tmp_path / "in")
    out = tmp_path / "s.json"
    code, text, err = run([str(tmp_path / "in"), "--mode", mode, "--json", str(out)], capsys)
    assert code == 0 and err == ""
    data = json.loads(out.read_text())
    channels = 3 if mode == "RGB" else 1
    # read as uint16: exact integer sums, the mean rounded once
    ints = values.astype(np.int64).ravel().tolist()
    exact_mean = float(Fraction(sum(ints), len(ints)))
    assert data["mean"] == [exact_mean] * channels
    np.testing.assert_allclose(data["std"], [values.std()] * channels, rtol=RTOL_FLOAT)
    assert data["min"] == [values.min()] * channels and data["max"] == [values.max()] * channels
    assert data["images"] == 3 and data["depth"] == "16-bit" and data["channels"] == channels
    assert data["dtype"] == "uint16" and data["unit"] == 65535
    np.testing.assert_allclose(
        data["normalize"]["mean"], [values.mean() / 65535] * channels, rtol=RTOL_FLOAT
    )
    assert "16-bit read as uint16" in text and "mean (0..65535)" in text


def test_16bit_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    _save_16bit(tmp_path / "in")
    png = tmp_path / "p.png"
    assert run([str(tmp_path / "in"), "--per-pixel", "--plot", str(png)], capsys)[0] == 0
    with Image.open(png) as im:
        assert im.format == "PNG"


@pytest.mark.parametrize("mode", ["RGB", "L", "keep"])
def test_float_tiff_keeps_its_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    values = RNG16.random((H, W), dtype=np.float32)
    Image.fromarray(values).save(tmp_path / "f.tif")
    out = tmp_path / "s.json"
    assert run([str(tmp_path / "f.tif"), "--mode", mode, "--json", str(out)], capsys)[0] == 0
    data = json.loads(out.read_text())
    channels = 3 if mode == "RGB" else 1
    np.testing.assert_allclose(
        data["mean"], [values.astype(np.float64).mean()] * channels, rtol=RTOL_FLOAT
    )
    assert data["min"] == [float(values.min())] * channels
    assert data["depth"] == "float" and data["channels"] == channels
    np.testing.assert_allclose(data["normalize"]["mean"], data["mean"], rtol=0)


def test_mixed_bit_depths_are_a_usage_error_before_any_work(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    from pixnorm import cli

    _save_16bit(tmp_path / "in")
    Image.open(folder / "one.png").save(tmp_path / "in" / "eight.png")

    def no_work(*args: Any) -> Any:
        raise AssertionError("the images were read")

    monkeypatch.setattr(cli, "run_files", no_work)
    code, out, err = run([str(tmp_path / "in")], capsys)
    assert code == 2 and out == ""
    assert "mix bit depths" in err and "1 8-bit" in err and "3 16-bit" in err


def test_integer_values_beyond_16_bits_are_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = _save_16bit(tmp_path / "in")
    big = np.full((H, W), 70000, np.int32)
    Image.fromarray(big).save(tmp_path / "in" / "wide.tif")
    out = tmp_path / "s.json"
    code, _, err = run([str(tmp_path / "in"), "--json", str(out)], capsys)
    assert code == 0 and "wide.tif" in err
    data = json.loads(out.read_text())
    assert data["images"] == 3 and data["max"] == [values.max()] * 3
    [skip] = data["skipped"]
    assert skip["path"].endswith("wide.tif") and "outside 0..65535" in skip["reason"]


def test_help_says_what_happens_to_16bit_images_and_with_size(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as e:
        main(["stats", "--help"])
    assert e.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "16-bit" in text and "never clipped" in text and "65535" in text
    assert "weights every image equally" in text


@pytest.mark.parametrize("flag", ["--json", "--plot"])
@pytest.mark.parametrize("case", ["missing directory", "parent is a file", "is a directory"])
def test_output_paths_are_checked_before_any_work(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: Any,
    flag: str,
    case: str,
) -> None:
    from pixnorm import cli

    def no_work(*args: Any) -> Any:
        raise AssertionError("the images were read")

    monkeypatch.setattr(cli, "run_files", no_work)
    (tmp_path / "file").write_text("x")
    target = {
        "missing directory": tmp_path / "missing" / "out.png",
        "parent is a file": tmp_path / "file" / "out.png",
        "is a directory": tmp_path,
    }[case]
    with pytest.raises(SystemExit) as e:
        main(["stats", str(folder), flag, str(target)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: {target}" in err
    assert case.split()[-1] in err  # "does not exist", "not a directory", "is a directory"


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root can create files in a read-only directory",
)
def test_output_in_a_read_only_directory_is_a_usage_error(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(SystemExit) as e:
            main(["stats", str(folder), "--json", str(ro / "s.json")])
    finally:
        ro.chmod(0o755)
    assert e.value.code == 2 and "argument --json" in capsys.readouterr().err


class _FailsWhileWritten(dict):  # type: ignore[type-arg]
    """A JSON object whose encoding raises `error` half-way through the output (json asks a
    dict subclass for its items), as a Ctrl-C or a full disk would."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(a=1)
        self.error = error

    def items(self) -> Any:
        raise self.error


@pytest.mark.parametrize("error", ["interrupt", "disk full"])
@pytest.mark.parametrize("flag", ["--json", "--plot"])
def test_outputs_are_replaced_only_when_complete(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: Any,
    flag: str,
    error: str,
) -> None:
    from pixnorm import cli

    exc: BaseException = (
        KeyboardInterrupt() if error == "interrupt" else OSError(28, "No space left on device")
    )
    target = tmp_path / "out" / ("s.json" if flag == "--json" else "p.png")
    target.parent.mkdir()
    target.write_bytes(b"the previous run's output")
    if flag == "--json":
        real = cli.summary
        monkeypatch.setattr(
            cli, "summary", lambda *a: {**real(*a), "stats": _FailsWhileWritten(exc)}
        )
    else:
        pytest.importorskip("matplotlib")
        from matplotlib.figure import Figure

        def savefig(self: Any, fname: Any, **kwargs: Any) -> None:
            if isinstance(fname, (str, os.PathLike)):
                with open(fname, "wb") as f:
                    f.write(b"\x89PNG half")
            else:
                fname.write(b"\x89PNG half")
            raise exc

        monkeypatch.setattr(Figure, "savefig", savefig)
    try:
        code, _, err = run([str(folder), flag, str(target)], capsys)
    except (KeyboardInterrupt, OSError) as e:
        pytest.fail(f"{type(e).__name__} escaped main()")
    if error == "interrupt":
        assert code == 130 and err.splitlines()[-1] == "pixnorm stats: interrupted"
    else:
        assert code == 1 and f"{flag}: cannot write {target}" in err and "No space" in err
    assert target.read_bytes() == b"the previous run's output"
    assert os.listdir(target.parent) == [target.name]  # no temporary file left


def test_outputs_keep_the_permissions_of_the_file_they_replace(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    old.write_text("{}")
    old.chmod(0o640)
    assert run([str(folder), "--json", str(new)], capsys)[0] == 0
    assert run([str(folder), "--json", str(old)], capsys)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(old.stat().st_mode) == 0o640
    assert json.loads(old.read_text())["images"] == 9


@pytest.mark.parametrize("workers", ["1", "2"])
def test_per_pixel_mixed_sizes_are_a_usage_error_before_any_work(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: Any,
    workers: str,
) -> None:
    from pixnorm import cli

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for name in ("one.png", "two.PNG", "three.bmp"):
        (mixed / name).write_bytes((folder / name).read_bytes())
    Image.new("RGB", (W + 1, H)).save(mixed / "wider.png")

    def no_work(*args: Any) -> Any:
        raise AssertionError("the images were read")

    monkeypatch.setattr(cli, "run_files", no_work)
    code, out, err = run([str(mixed), "--per-pixel", "--workers", workers], capsys)
    assert code == 2 and out == ""
    assert "--per-pixel" in err and "--size H W" in err and "2 sizes" in err
    assert f"3 of {H}x{W}" in err and f"1 of {H}x{W + 1}" in err
    monkeypatch.undo()
    code, _, _ = run([str(mixed), "--per-pixel", "--size", "5", "5"], capsys)
    assert code == 0
    assert run([str(mixed)], capsys)[0] == 0  # per channel, sizes may differ


def test_skip_list_is_capped_on_the_terminal(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pixnorm import cli

    many_bad = tmp_path / "bad"
    many_bad.mkdir()
    (many_bad / "good.png").write_bytes((folder / "one.png").read_bytes())
    shown = 10  # cli.SKIPPED_SHOWN
    n = shown + 4
    for i in range(n):
        (many_bad / f"bad{i:02d}.png").write_bytes(b"junk")
    out = tmp_path / "s.json"
    code, _, err = run([str(many_bad), "--json", str(out)], capsys)
    assert code == 0
    lines = err.splitlines()
    assert lines[0] == f"skipped {n} file(s):"
    assert len([x for x in lines if "bad" in x and "unreadable" in x]) == shown
    assert lines[-1] == f"  ... and 4 more (all listed in {out})"
    assert len(json.loads(out.read_text())["skipped"]) == n
    err = run([str(many_bad)], capsys)[2]
    assert err.splitlines()[-1] == "  ... and 4 more (--json FILE lists them all)"
    assert cli.SKIPPED_SHOWN == shown


@pytest.mark.parametrize("workers", ["1", "2"])
def test_broken_symbolic_links_are_listed_as_skipped(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    links = tmp_path / "links"
    (links / "sub").mkdir(parents=True)
    (links / "good.png").write_bytes((folder / "one.png").read_bytes())
    try:
        (links / "dangling.png").symlink_to("nowhere.png")
    except OSError as e:
        pytest.skip(f"no symbolic links here: {e}")
    (links / "loop1.png").symlink_to("loop2.png")
    (links / "loop2.png").symlink_to("loop1.png")
    (links / "sub" / "up").symlink_to("..")  # a directory loop: not followed
    (links / "notes.txt").symlink_to("nowhere.txt")  # not an image name: not listed
    out = tmp_path / "s.json"
    code, _, err = run([str(links), "--workers", workers, "--json", str(out)], capsys)
    assert code == 0 and "skipped 3 file(s)" in err
    data = json.loads(out.read_text())
    assert data["images"] == 1
    reasons = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert reasons == {
        "dangling.png": "dangling symbolic link to nowhere.png (No such file or directory)",
        "loop1.png": "symbolic link loop",
        "loop2.png": "symbolic link loop",
    }
    # only broken links: nothing usable (exit 1), and they are named
    (links / "good.png").unlink()
    code, _, err = run([str(links)], capsys)
    assert code == 1 and "none of the 3 file(s) could be used" in err and "dangling" in err


def test_outputs_to_special_files_are_written_in_place(tmp_path: Path) -> None:
    """--json /dev/null (or any device or FIFO) is written in place: the atomic rename replaced
    the device node with a regular file (a hostile review turned /dev/full into a JSON file)."""
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    images = tmp_path / "imgs"
    images.mkdir()
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(images / "a.png")
    assert main(["stats", str(images), "--json", str(node), "--progress", "off"]) == 0
    assert stat.S_ISCHR(os.stat(node).st_mode)  # still the device


def test_a_file_named_twice_counts_once(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The folder, one of its files again and a symbolic link to it: each file counts once
    (it used to be counted three times, weighting that image three times, silently)."""
    link = tmp_path / "link.png"
    link.symlink_to(folder / "one.png")
    out_json = tmp_path / "dup.json"
    code, _, err = run(
        [str(folder), str(folder / "one.png"), str(link), "--json", str(out_json)], capsys
    )
    assert code == 0
    assert "2 path(s) named a file already counted" in err
    assert json.loads(out_json.read_text())["stats"] == expected(folder).to_dict()


def test_size_prints_normalize_values_in_0_1(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --size the statistics are of resampled floats in the images' units: the Normalize
    values are still mean / 255 (they were divided by 255 twice: 0.002 for a mean of 0.5)."""
    out_json = tmp_path / "sized.json"
    code, out, _ = run([str(folder), "--size", "6", "7", "--json", str(out_json)], capsys)
    assert code == 0
    want = pixnorm.RunningStats(size=(6, 7))
    for p in readable(folder):
        with Image.open(p) as im:
            want.update(np.asarray(im.convert("RGB")))
    norm = json.loads(out_json.read_text())["normalize"]
    np.testing.assert_allclose(norm["mean"], want.mean01, atol=1e-4)
    np.testing.assert_allclose(norm["std"], want.std01(), atol=1e-4)
    assert all(0.2 < m < 0.8 for m in norm["mean"])  # random uint8 images: about 0.5
    assert "Normalize(mean=[0.4" in out or "Normalize(mean=[0.5" in out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_color_refusing_the_first_file_skips_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    """--color ycbcr --mode keep with a gray file first: that file is skipped (with the reason),
    the colour files counted; --mode L with ycbcr is a usage error before any work."""
    d = tmp_path / "mixed"
    d.mkdir()
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (H, W), dtype=np.uint8)).save(d / "a_gray.png")
    colour = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(2)]
    for i, img in enumerate(colour):
        Image.fromarray(img).save(d / f"b_rgb{i}.png")
    out_json = tmp_path / "s.json"
    code, out, err = run(
        [str(d), "--mode", "keep", "--color", "ycbcr", "--workers", workers, "--json",
         str(out_json)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "a_gray.png" in err and "--color ycbcr does not convert" in err
    want = pixnorm.RunningStats(color="ycbcr")
    for img in colour:
        want.update(img)
    got = json.loads(out_json.read_text())["stats"]
    assert got["images"] == 2 and got["count"] == want.count
    np.testing.assert_allclose(got["state"]["mean"], want.to_dict()["state"]["mean"], rtol=1e-12)
    code, out, err = run([str(d), "--mode", "L", "--color", "ycbcr"], capsys)
    assert code == 2 and "--mode L makes every image gray" in err


def test_color_with_opencv_needs_no_size(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "yuv.json"
    code, _, err = run(
        [str(folder), "--color", "yuv", "--convention", "opencv", "--no-antialias", "--json",
         str(out_json)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    want = pixnorm.RunningStats(color="yuv", convention="opencv", antialias=False)
    for p in readable(folder):
        with Image.open(p) as im:
            want.update(np.asarray(im.convert("RGB")))
    assert json.loads(out_json.read_text())["stats"] == json.loads(json.dumps(want.to_dict()))
