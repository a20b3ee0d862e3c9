"""The ``pixnorm stats`` command: on a temporary folder of images (with a corrupt file), its
JSON, its PNG, worker processes, the demo data set, and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
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
