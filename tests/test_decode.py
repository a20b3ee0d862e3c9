"""pixnorm.decode against Pillow, the reference it promises to equal bit for bit:
``np.asarray(Image.open(f).convert(mode))`` for JPEG (4:4:4, 4:2:2, 4:2:0, qualities 50-100,
odd sizes, progressive, restart markers, gray, CMYK), PNG (every colour type and bit depth,
palettes with transparency, interlaced, 16-bit) and the formats it hands to Pillow; EXIF
orientation against ``ImageOps.exif_transpose``; every kind of source; corrupt, truncated and
bit-flipped files (an error or an image, never a crash); decompression bombs refused before
decoding; threads.

PNG files of the kinds Pillow cannot write (2- and 4-bit gray, 16-bit colour, interlaced) are
written by ``png_file`` below, a plain PNG writer from the specification."""

from __future__ import annotations

import io
import struct
import threading
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pixnorm

Image = pytest.importorskip("PIL.Image")
ImageOps = pytest.importorskip("PIL.ImageOps")
skdata = pytest.importorskip("skimage.data")

CODECS = pixnorm.build_info()["codecs"]
RNG = np.random.default_rng(17)


def photo(h: int = 301, w: int = 299) -> np.ndarray[Any, Any]:
    """A photograph (edges and texture, not noise), cut to an odd size."""
    img = np.concatenate([skdata.astronaut(), skdata.astronaut()[:, ::-1]], axis=1)
    return np.ascontiguousarray(img[:h, :w])


def jpeg(arr: np.ndarray[Any, Any], **options: Any) -> bytes:
    buf = io.BytesIO()
    im = Image.fromarray(arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)
    im.save(buf, "JPEG", **options)
    return buf.getvalue()


def pillow(data: bytes, mode: str | None) -> np.ndarray[Any, Any]:
    """The reference: Pillow's decode and convert, with a channel axis. (Pillow warns when it
    converts a palette with transparency to RGB or L: a warning about its choice, not an error.)"""
    with Image.open(io.BytesIO(data)) as im, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        arr = np.asarray(im.convert(mode) if mode is not None else im)
    return arr[..., None] if arr.ndim == 2 else arr


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


ADAM7 = [
    (0, 0, 8, 8),
    (0, 4, 8, 8),
    (4, 0, 8, 4),
    (0, 2, 4, 4),
    (2, 0, 4, 2),
    (0, 1, 2, 2),
    (1, 0, 2, 1),
]


def png_file(
    samples: np.ndarray[Any, Any],
    color_type: int,
    depth: int,
    *,
    interlace: bool = False,
    palette: np.ndarray[Any, Any] | None = None,
    trns: bytes | None = None,
    exif: bytes | None = None,
) -> bytes:
    """A PNG from (H, W, C) samples (values < 2**depth), filter 0 on every row, per the PNG
    specification: colour types 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA."""
    h, w = samples.shape[:2]

    def rows(img: np.ndarray[Any, Any]) -> bytes:
        out = b""
        for row in img:
            flat = row.reshape(-1).astype(np.uint32)
            if depth == 16:
                data = flat.astype(">u2").tobytes()
            elif depth == 8:
                data = flat.astype(np.uint8).tobytes()
            else:  # pack, most significant bits first
                per = 8 // depth
                padded = np.zeros(-(-flat.size // per) * per, np.uint32)
                padded[: flat.size] = flat
                grouped = padded.reshape(-1, per)
                shifts = depth * np.arange(per - 1, -1, -1, dtype=np.uint32)
                data = (grouped << shifts).sum(axis=1).astype(np.uint8).tobytes()
            out += b"\x00" + data
        return out

    if interlace:
        raw = b"".join(
            rows(samples[y0::dy, x0::dx])
            for y0, x0, dy, dx in ADAM7
            if samples[y0::dy, x0::dx].size
        )
    else:
        raw = rows(samples)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        out += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(raw))
    if exif is not None:
        out += chunk(b"eXIf", exif)
    return out + chunk(b"IEND", b"")


def exif_block(orientation: int, big_endian: bool = False) -> bytes:
    """A TIFF-structured EXIF block with one IFD0 entry: the orientation."""
    e = ">" if big_endian else "<"
    head = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    return (
        head
        + struct.pack(e + "H", 1)
        + struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)
        + b"\0" * 4
    )


needs_jpeg = pytest.mark.skipif(CODECS["jpeg"] is None, reason="built without libjpeg")
needs_png = pytest.mark.skipif(CODECS["png"] is None, reason="built without libpng")


# ------------------------------------------------------------------------------------------
# JPEG


@pytest.mark.parametrize("subsampling", [0, 1, 2], ids=["444", "422", "420"])
@pytest.mark.parametrize("quality", [50, 75, 90, 100])
def test_jpeg_equals_pillow(subsampling: int, quality: int) -> None:
    for h, w in [(301, 299), (17, 33), (1, 1), (1, 200), (200, 1), (16, 16), (9, 250)]:
        data = jpeg(photo(h, w), quality=quality, subsampling=subsampling)
        for mode in ("RGB", "L", "RGBA", None):
            got = pixnorm.decode(data, mode=mode)
            want = pillow(data, mode)
            assert got.dtype == np.uint8 and got.flags.c_contiguous
            np.testing.assert_array_equal(got, want, err_msg=f"{h}x{w} mode {mode}")


@pytest.mark.parametrize(
    "options",
    [
        {"progressive": True},
        {"progressive": True, "subsampling": 0},
        {"optimize": True},
        {"restart_marker_blocks": 3},
        {"restart_marker_rows": 1, "subsampling": 1},
        {"progressive": True, "restart_marker_blocks": 7},
    ],
)
def test_jpeg_variants_equal_pillow(options: dict[str, Any]) -> None:
    data = jpeg(photo(257, 263), quality=90, **options)
    for mode in ("RGB", "L", None):
        np.testing.assert_array_equal(pixnorm.decode(data, mode=mode), pillow(data, mode))


def test_gray_and_cmyk_jpeg_equal_pillow() -> None:
    gray = jpeg(photo(99, 101)[..., 1:2], quality=85)
    cmyk_im = Image.fromarray(photo(99, 101)).convert("CMYK")
    buf = io.BytesIO()
    cmyk_im.save(buf, "JPEG", quality=95)  # Adobe marker, inverted CMYK
    cmyk = buf.getvalue()
    for data, native_channels in ((gray, 1), (cmyk, 3)):
        for mode in ("RGB", "L", "RGBA"):
            np.testing.assert_array_equal(pixnorm.decode(data, mode=mode), pillow(data, mode))
        native = pixnorm.decode(data, mode=None)
        assert native.shape[2] == native_channels
        want = pillow(data, "L" if native_channels == 1 else "RGB")
        np.testing.assert_array_equal(native, want)
    # the CMYK conversion is not trivially the identity: the photo's colours survive it
    assert np.abs(pixnorm.decode(cmyk).astype(int) - photo(99, 101)).mean() < 8


@needs_jpeg
def test_jpeg_gray_is_not_the_y_plane() -> None:
    """mode="L" is Pillow's convert("L") of the RGB result, not libjpeg's Y channel (they
    differ): the reference says which."""
    data = jpeg(photo(), quality=90)
    got = pixnorm.decode(data, mode="L")[..., 0]
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", im.size)  # Pillow's own route to the Y plane
        y = np.asarray(im)
    assert y.shape == got.shape and not np.array_equal(got, y)
    np.testing.assert_array_equal(got, np.asarray(Image.open(io.BytesIO(data)).convert("L")))


# ------------------------------------------------------------------------------------------
# PNG


def samples(h: int, w: int, c: int, depth: int) -> np.ndarray[Any, Any]:
    return RNG.integers(0, 2**depth, (h, w, c), dtype=np.uint32)


@pytest.mark.parametrize("depth", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("interlace", [False, True])
def test_png_gray_depths_equal_pillow(depth: int, interlace: bool) -> None:
    for h, w in [(13, 11), (1, 1), (1, 17), (9, 1), (32, 40)]:
        s = samples(h, w, 1, depth)
        data = png_file(s, 0, depth, interlace=interlace)
        native = pixnorm.decode(data, mode=None)
        if depth == 16 and CODECS["png"] is not None:
            assert native.dtype == np.uint16
            np.testing.assert_array_equal(native, s.astype(np.uint16))
            for mode in ("RGB", "L", "RGBA"):  # the high byte (Pillow clips instead)
                got = pixnorm.decode(data, mode=mode)
                high = (s >> 8).astype(np.uint8)
                np.testing.assert_array_equal(got[..., :1], high)
                np.testing.assert_array_equal(
                    got[..., : min(3, got.shape[2])], np.repeat(high, min(3, got.shape[2]), axis=2)
                )
            continue
        if depth == 16:
            continue
        scaled = (s * (255 // (2**depth - 1))).astype(np.uint8)
        np.testing.assert_array_equal(native, scaled)
        for mode in ("RGB", "L", "RGBA"):
            np.testing.assert_array_equal(pixnorm.decode(data, mode=mode), pillow(data, mode))


@pytest.mark.parametrize("interlace", [False, True])
@pytest.mark.parametrize("color_type, channels", [(2, 3), (4, 2), (6, 4)])
def test_png_colour_types_equal_pillow(color_type: int, channels: int, interlace: bool) -> None:
    for h, w in [(21, 19), (1, 1), (2, 33)]:
        s = samples(h, w, channels, 8)
        data = png_file(s, color_type, 8, interlace=interlace)
        np.testing.assert_array_equal(pixnorm.decode(data, mode=None), s.astype(np.uint8))
        for mode in ("RGB", "L", "RGBA"):
            np.testing.assert_array_equal(pixnorm.decode(data, mode=mode), pillow(data, mode))


@needs_png
@pytest.mark.parametrize("color_type, channels", [(2, 3), (6, 4), (4, 2)])
def test_png_16bit_colour(color_type: int, channels: int) -> None:
    s = samples(15, 23, channels, 16)
    data = png_file(s, color_type, 16, interlace=True)
    native = pixnorm.decode(data, mode=None)
    assert native.dtype == np.uint16
    np.testing.assert_array_equal(native, s.astype(np.uint16))
    high = (s >> 8).astype(np.uint8)
    rgb = np.repeat(high[..., :1], 3, axis=2) if channels == 2 else high[..., :3]
    np.testing.assert_array_equal(pixnorm.decode(data, mode="RGB"), rgb)
    cv2 = pytest.importorskip("cv2")
    if channels != 2:  # OpenCV reads the same high bytes (BGR order)
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(pixnorm.decode(data)[..., ::-1], bgr)


@pytest.mark.parametrize("depth", [1, 2, 4, 8])
@pytest.mark.parametrize("transparency", [False, True])
def test_png_palette_equals_pillow(depth: int, transparency: bool) -> None:
    n = 2**depth
    palette = RNG.integers(0, 256, (n, 3))
    s = samples(17, 29, 1, depth)
    trns = bytes(RNG.integers(0, 256, max(1, n // 2)).astype(np.uint8)) if transparency else None
    data = png_file(s, 3, depth, palette=palette, trns=trns, interlace=depth == 4)
    native = pixnorm.decode(data, mode=None)
    assert native.shape[2] == (4 if transparency else 3)
    np.testing.assert_array_equal(native, pillow(data, "RGBA" if transparency else "RGB"))
    for mode in ("RGB", "L", "RGBA"):
        np.testing.assert_array_equal(pixnorm.decode(data, mode=mode), pillow(data, mode))


def test_png_trns_colour_key_equals_pillow() -> None:
    """tRNS on gray and RGB images (one colour is transparent): alpha in mode RGBA, as Pillow."""
    s = samples(9, 12, 3, 8)
    s[0, :4] = (10, 20, 30)
    data = png_file(s, 2, 8, trns=struct.pack(">HHH", 10, 20, 30))
    got = pixnorm.decode(data, mode="RGBA")
    np.testing.assert_array_equal(got, pillow(data, "RGBA"))
    assert (got[0, :4, 3] == 0).all() and got[..., 3].max() == 255
    g = samples(9, 12, 1, 8)
    g[1, 1] = 77
    data = png_file(g, 0, 8, trns=struct.pack(">H", 77))
    np.testing.assert_array_equal(pixnorm.decode(data, mode="RGBA"), pillow(data, "RGBA"))
    np.testing.assert_array_equal(pixnorm.decode(data, mode=None), g.astype(np.uint8))


def test_pillow_written_pngs_equal_pillow() -> None:
    img = photo(64, 48)
    for im in (
        Image.fromarray(img),
        Image.fromarray(img).convert("L"),
        Image.fromarray(img).convert("RGBA"),
        Image.fromarray(img).convert("1"),
        Image.fromarray(img).quantize(37),
        Image.fromarray(img).convert("LA"),
    ):
        buf = io.BytesIO()
        im.save(buf, "PNG")
        data = buf.getvalue()
        for mode in ("RGB", "L", "RGBA"):
            np.testing.assert_array_equal(
                pixnorm.decode(data, mode=mode), pillow(data, mode), err_msg=im.mode
            )


# ------------------------------------------------------------------------------------------
# Other formats (through Pillow) and orientation


@pytest.mark.parametrize("fmt", ["BMP", "GIF", "TIFF", "WEBP", "PPM"])
def test_other_formats_through_pillow(fmt: str) -> None:
    img = photo(40, 52)
    buf = io.BytesIO()
    try:
        Image.fromarray(img).save(buf, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    except (KeyError, OSError) as e:  # a Pillow built without the format
        pytest.skip(f"Pillow cannot write {fmt}: {e}")
    data = buf.getvalue()
    for mode in ("RGB", "L", "RGBA"):
        np.testing.assert_array_equal(pixnorm.decode(data, mode=mode), pillow(data, mode))
    if fmt != "GIF":
        np.testing.assert_array_equal(pixnorm.decode(data, mode=None), img)


def test_16bit_tiff_through_pillow() -> None:
    values = RNG.integers(0, 65536, (20, 30), dtype=np.uint16)
    buf = io.BytesIO()
    Image.fromarray(values).save(buf, "TIFF")
    data = buf.getvalue()
    np.testing.assert_array_equal(pixnorm.decode(data, mode=None)[..., 0], values)
    np.testing.assert_array_equal(pixnorm.decode(data, mode="L")[..., 0], values >> 8)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_equals_exif_transpose(orientation: int) -> None:
    img = photo(30, 50)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=95, exif=exif)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as im:
        want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    got = pixnorm.decode(data, orientation=True)
    np.testing.assert_array_equal(got, want)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(pixnorm.decode(data), pillow(data, "RGB"))  # default: as stored
    # PNG's eXIf chunk, little- and big-endian
    for big in (False, True):
        png = png_file(img.astype(np.uint32), 2, 8, exif=exif_block(orientation, big))
        with Image.open(io.BytesIO(png)) as im:
            want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        np.testing.assert_array_equal(pixnorm.decode(png, orientation=True), want)
    # through Pillow (WebP keeps EXIF)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "WEBP", lossless=True, exif=exif)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(pixnorm.decode(buf.getvalue(), orientation=True), want)


def test_malformed_exif_is_ignored() -> None:
    img = photo(10, 12)
    good = exif_block(6)
    for block in (
        good[:10],
        b"II*\0\xff\xff\xff\xff",
        b"XX" + good[2:],
        good[:8] + b"\xff\xff",
        b"",
    ):
        png = png_file(img.astype(np.uint32), 2, 8, exif=block if block else None)
        np.testing.assert_array_equal(pixnorm.decode(png, orientation=True), img)


# ------------------------------------------------------------------------------------------
# Sources


def test_every_kind_of_source(tmp_path: Path) -> None:
    data = jpeg(photo(40, 30), quality=90)
    want = pillow(data, "RGB")
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    arr = np.frombuffer(data, np.uint8)
    sources: list[Any] = [
        data,
        bytearray(data),
        memoryview(data),
        arr,
        arr.copy(),
        np.concatenate([arr, arr])[: arr.size],  # a view of a larger buffer
        np.repeat(arr, 2)[::2],  # a strided view (copied)
        str(path),
        path,
        io.BytesIO(data),
    ]
    for src in sources:
        np.testing.assert_array_equal(pixnorm.decode(src), want)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(pixnorm.decode(f), want)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(
        pixnorm.decode(torch.frombuffer(bytearray(data), dtype=torch.uint8)), want
    )


def test_source_and_option_errors(tmp_path: Path) -> None:
    data = jpeg(photo(8, 8))
    with pytest.raises(TypeError, match="^source: expected a path, bytes"):
        pixnorm.decode(12)
    with pytest.raises(
        TypeError, match=r"source: expected encoded bytes as a 1-D uint8 array.*already an image"
    ):
        pixnorm.decode(photo(8, 8))
    with pytest.raises(
        TypeError, match="source: expected encoded bytes as a 1-D uint8 array, got a float32"
    ):
        pixnorm.decode(np.zeros(10, np.float32))
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    with open(path) as text, pytest.raises(TypeError, match="binary mode"):
        pixnorm.decode(text)
    with pytest.raises(FileNotFoundError):
        pixnorm.decode(tmp_path / "missing.jpg")
    with pytest.raises(pixnorm.DecodeError, match="empty"):
        pixnorm.decode(b"")
    with pytest.raises(ValueError, match="^mode: expected 'RGB', 'L', 'RGBA' or None, got 'rgb'"):
        pixnorm.decode(data, mode="rgb")
    with pytest.raises(TypeError, match="^orientation: expected a bool"):
        pixnorm.decode(data, orientation=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^max_pixels: expected an int > 0"):
        pixnorm.decode(data, max_pixels=0)
    with pytest.raises(TypeError, match="^max_pixels: expected an int > 0"):
        pixnorm.decode(data, max_pixels=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not contiguous"):
        pixnorm.decode(memoryview(np.frombuffer(data, np.uint8)[::2]))
    with pytest.raises(pixnorm.DecodeError, match="cannot decode"):
        pixnorm.decode(b"this is not an image at all")
    assert issubclass(pixnorm.DecodeError, ValueError)
    assert issubclass(pixnorm.ImageTooLarge, ValueError)


# ------------------------------------------------------------------------------------------
# Bad data: errors, never a crash


def test_truncated_files_raise() -> None:
    files = {
        "jpeg": jpeg(photo(), quality=90),
        "progressive": jpeg(photo(), quality=90, progressive=True),
        "png": png_file(samples(40, 50, 3, 8), 2, 8),
        "png-interlaced": png_file(samples(40, 50, 3, 8), 2, 8, interlace=True),
    }
    for name, data in files.items():
        for cut in (len(data) // 3, len(data) // 2, len(data) - 30, 3, 11):
            with pytest.raises(pixnorm.DecodeError):
                pixnorm.decode(data[:cut])
                pytest.fail(f"{name} cut at {cut} of {len(data)} decoded")


def test_bit_flipped_files_never_crash() -> None:
    """Random byte changes: a DecodeError (or ImageTooLarge, where a flip grew the header's
    size), or an image; nothing else.
    (Bounded here; the ASan/UBSan build runs the same test.)"""
    files = [
        jpeg(photo(64, 48), quality=90),
        jpeg(photo(64, 48), quality=75, progressive=True),
        jpeg(photo(64, 48)[..., :1], quality=80),
        png_file(samples(24, 30, 3, 8), 2, 8),
        png_file(samples(24, 30, 1, 4), 0, 4, interlace=True),
    ]
    rng = np.random.default_rng(5)
    outcomes = {"error": 0, "image": 0}
    for data in files:
        for _ in range(150):
            b = bytearray(data)
            for _ in range(int(rng.integers(1, 6))):
                b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
            try:
                arr = pixnorm.decode(bytes(b), mode=None)
            except (pixnorm.DecodeError, pixnorm.ImageTooLarge):  # a flipped size, too
                outcomes["error"] += 1
            else:
                outcomes["image"] += 1
                assert arr.ndim == 3 and arr.size > 0
    assert outcomes["error"] > 0 and outcomes["image"] > 0  # both kinds were exercised


def test_decompression_bombs_refused_before_decoding() -> None:
    # headers that promise huge images, with almost no data behind them
    png = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    )
    png += chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    # (built without libpng, Pillow refuses it at open(): its own message)
    with pytest.raises(pixnorm.ImageTooLarge, match=r"100000x100000 \(HxW\)|10000000000 pixels"):
        pixnorm.decode(png)
    data = bytearray(jpeg(photo(16, 16)))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    with pytest.raises(pixnorm.ImageTooLarge, match="60000x60000|3600000000 pixels"):
        pixnorm.decode(bytes(data))
    # the limit is the caller's; None lifts it
    small = jpeg(photo(20, 30))
    with pytest.raises(pixnorm.ImageTooLarge, match="600 pixels, above the limit of 599"):
        pixnorm.decode(small, max_pixels=599)
    assert pixnorm.decode(small, max_pixels=600).shape == (20, 30, 3)
    assert pixnorm.decode(small, max_pixels=None).shape == (20, 30, 3)
    buf = io.BytesIO()
    Image.fromarray(photo(20, 30)).save(buf, "BMP")  # through Pillow: the same limit
    with pytest.raises(pixnorm.ImageTooLarge, match="600 pixels"):
        pixnorm.decode(buf.getvalue(), max_pixels=599)


def test_threads_decode_the_same() -> None:
    files = [jpeg(photo(120 + i, 90 + i), quality=80 + i) for i in range(8)]
    want = [pillow(f, "RGB") for f in files]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                for f, w in zip(files, want, strict=True):
                    np.testing.assert_array_equal(pixnorm.decode(f), w)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_build_info_names_the_codecs() -> None:
    codecs = pixnorm.build_info()["codecs"]
    assert set(codecs) == {"jpeg", "png"}
    for name, version in codecs.items():
        assert version is None or version.startswith(("libjpeg", "libpng")), (name, version)


# ------------------------------------------------------------------------------------------
# Found by the hostile review (each failed before its fix)


@needs_jpeg
def test_many_scans_refused_before_decoding() -> None:
    """A progressive JPEG whose last scan is repeated: each scan passes over every block, so
    the count is refused from the markers, before any decoding (a 1,000-scan 4000x4000 file
    of 125 KB took 30 s to decode). Ordinary progressive files pass."""
    data = jpeg(photo(64, 64), quality=90, progressive=True)
    last = data.rindex(b"\xff\xda")
    scan = data[last:-2]  # the last scan, up to EOI
    assert pixnorm.decode(data).shape == (64, 64, 3)
    for repeats, refused in ((80, False), (120, True)):
        bomb = data[:-2] + scan * repeats + b"\xff\xd9"
        if refused:
            with pytest.raises(pixnorm.DecodeError, match="more than 100 scans"):
                pixnorm.decode(bomb)
            with pytest.raises(pixnorm.DecodeError, match="more than 100 scans"):
                pixnorm.load(bomb, size=16)
        else:  # libjpeg reads the repeats as refinements of what it has
            assert pixnorm.decode(bomb).shape == (64, 64, 3)
    # bytes like a marker inside an APP segment are not counted (the walk skips payloads)
    exif = Image.Exif()
    exif[0x010E] = "\xff\xda" * 300  # ImageDescription
    buf = io.BytesIO()
    Image.fromarray(photo(32, 32)).save(buf, "JPEG", exif=exif, progressive=True)
    np.testing.assert_array_equal(pixnorm.decode(buf.getvalue()), pillow(buf.getvalue(), "RGB"))


def test_unsupported_jpeg_is_a_decode_error_in_load() -> None:
    data = bytearray(jpeg(photo(16, 16)))
    sof = data.find(b"\xff\xc0")
    data[sof + 4] = 12  # 12-bit precision: libjpeg-turbo's 8-bit library does not decode it
    for call in (lambda: pixnorm.decode(bytes(data)), lambda: pixnorm.load(bytes(data), size=8)):
        with pytest.raises(pixnorm.DecodeError):
            call()
    collate = pixnorm.Collate(size=(8, 8), decode=True)
    with pytest.raises(pixnorm.DecodeError, match=r"^samples\[0\]"):
        collate([(bytes(data), 0)])


def test_markers_inside_the_scan_decode_as_pillow_does() -> None:
    """A marker inside the entropy-coded data ("premature end of data segment") is a warning
    for libjpeg and Pillow decodes what libjpeg recovers: pixnorm too (only a file that ends
    early is an error)."""
    data = jpeg(photo(64, 80), quality=90)
    middle = len(data) // 2
    for marker in (b"\xff\xd9", b"\xff\xd0"):
        bad = data[:middle] + marker + data[middle:]
        np.testing.assert_array_equal(pixnorm.decode(bad), pillow(bad, "RGB"))


def test_png_damage_pillow_accepts() -> None:
    s = samples(20, 30, 3, 8)
    good = png_file(s, 2, 8)
    want = s.astype(np.uint8)
    idat = good.index(b"IDAT")
    length = struct.unpack(">I", good[idat - 4 : idat])[0]
    crc_at = idat + 4 + length
    cases = {
        "no IEND": good[:-12],
        "bad IDAT CRC": good[:crc_at] + b"\0\0\0\0" + good[crc_at + 4 :],
        "unknown critical chunk": good[:33] + chunk(b"ABCD", b"xyz") + good[33:],
    }
    for name, data in cases.items():
        np.testing.assert_array_equal(pixnorm.decode(data), pillow(data, "RGB"), err_msg=name)
        np.testing.assert_array_equal(pixnorm.decode(data), want, err_msg=name)
    if CODECS["png"] is None:
        return  # through Pillow, which refuses the flood below ("too much text")
    # text chunks are not inflated: 2,000 zTXt chunks of 7.5 KB each are skipped
    text = chunk(b"zTXt", b"k\0\0" + zlib.compress(b"x" * 1_000_000))
    flood = good[:33] + text * 2000 + good[33:]
    np.testing.assert_array_equal(pixnorm.decode(flood), want)


@pytest.mark.parametrize("how", ["long", "xmp", "xmp element"])
def test_orientation_as_pillow_reads_it(how: str) -> None:
    img = photo(20, 30)
    buf = io.BytesIO()
    if how == "long":
        e = "<"
        entry = struct.pack(e + "HHII", 0x0112, 4, 1, 6)
        block = b"II" + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1) + entry + b"\0" * 4
        Image.fromarray(img).save(buf, "JPEG", quality=95, exif=b"Exif\0\0" + block)
    else:
        packet = (
            b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>'
            if how == "xmp"
            else b"<x:xmpmeta><tiff:Orientation>8</tiff:Orientation></x:xmpmeta>"
        )
        Image.fromarray(img).save(buf, "JPEG", quality=95, xmp=packet)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as im:
        want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    assert want.shape[:2] == (30, 20)  # the reference did rotate
    np.testing.assert_array_equal(pixnorm.decode(data, orientation=True), want)


def test_more_sources_and_messages(tmp_path: Path) -> None:
    import array

    data = jpeg(photo(10, 12))
    want = pillow(data, "RGB")
    np.testing.assert_array_equal(pixnorm.decode(array.array("B", data)), want)

    class Reader:
        def read(self) -> memoryview:
            return memoryview(data)

    np.testing.assert_array_equal(pixnorm.decode(Reader()), want)
    with pytest.raises(TypeError, match="^mode: expected 'RGB', 'L', 'RGBA' or None, got 3"):
        pixnorm.decode(data, mode=3)  # type: ignore[arg-type]
    path = tmp_path / "a.bmp"
    Image.fromarray(photo(10, 12)).save(path)
    with pytest.raises(pixnorm.DecodeError, match="source is the bytes of a path"):
        pixnorm.decode(str(path).encode())
    # 16-bit PGM (Pillow mode I): 16-bit levels, the high byte for 8-bit modes
    values = np.random.default_rng(2).integers(0, 65536, (6, 7), dtype=np.uint16)
    pgm = b"P5 7 6 65535\n" + values.astype(">u2").tobytes()
    np.testing.assert_array_equal(pixnorm.decode(pgm, mode=None)[..., 0], values)
    np.testing.assert_array_equal(pixnorm.decode(pgm, mode="L")[..., 0], values >> 8)


def _png_with(chunks_before: list[bytes], chunks_after: list[bytes], img: Any) -> bytes:
    """A PNG of `img` with extra chunks before the image data and after it."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    good = buf.getvalue()
    start = good.index(b"IDAT") - 4
    end = good.rindex(b"IEND") - 4
    extra_before, extra_after = b"".join(chunks_before), b"".join(chunks_after)
    return good[:start] + extra_before + good[start:end] + extra_after + good[end:]


def _text_chunk(kind: bytes, orientation: int, form: str = "attr") -> bytes:
    packet = (
        f'<x:xmpmeta><rdf:Description tiff:Orientation="{orientation}"/></x:xmpmeta>'
        if form == "attr"
        else f"<x:xmpmeta><tiff:Orientation>{orientation}</tiff:Orientation></x:xmpmeta>"
    ).encode()
    key = b"XML:com.adobe.xmp\0"
    if kind == b"tEXt":
        body = key + packet
    elif kind == b"zTXt":
        body = key + b"\0" + zlib.compress(packet)
    elif kind == b"iTXt-z":
        kind, body = b"iTXt", key + b"\1\0" + b"\0\0" + zlib.compress(packet)
    else:
        body = key + b"\0\0" + b"en\0\0" + packet
    return chunk(kind, body)


@pytest.mark.parametrize(
    "case",
    [
        "iTXt", "iTXt element", "iTXt compressed", "zTXt", "tEXt", "after the image",
        "last one wins", "EXIF orientation first", "EXIF without orientation", "other keyword",
    ],
)  # fmt: skip
def test_png_xmp_orientation_as_pillow_reads_it(case: str) -> None:
    """PNG: orientation=True follows Pillow's exif_transpose, which takes the XMP packet's
    tiff:Orientation (any text chunk with keyword XML:com.adobe.xmp, compressed or not, before
    or after the image data, the last one) where the eXIf chunk has none."""
    if CODECS["png"] is None:
        pytest.skip("PNG through Pillow in this build")
    img = photo(20, 30)
    before: list[bytes] = []
    after: list[bytes] = []
    e = "<"
    entry = struct.pack(e + "HHII", 0x0112, 4, 1, 3)  # EXIF orientation 3
    other = struct.pack(e + "HHII", 0x010F, 2, 1, 0)  # Make, no orientation
    tiff = b"II" + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1)
    if case == "iTXt":
        before = [_text_chunk(b"iTXt", 6)]
    elif case == "iTXt element":
        before = [_text_chunk(b"iTXt", 8, "element")]
    elif case == "iTXt compressed":
        before = [_text_chunk(b"iTXt-z", 5)]
    elif case == "zTXt":
        before = [_text_chunk(b"zTXt", 7)]
    elif case == "tEXt":
        before = [_text_chunk(b"tEXt", 6)]
    elif case == "after the image":
        after = [_text_chunk(b"iTXt", 8)]
    elif case == "last one wins":
        before, after = [_text_chunk(b"iTXt", 6)], [_text_chunk(b"tEXt", 3)]
    elif case == "EXIF orientation first":
        before = [chunk(b"eXIf", tiff + entry + b"\0" * 4), _text_chunk(b"iTXt", 6)]
    elif case == "EXIF without orientation":
        before = [chunk(b"eXIf", tiff + other + b"\0" * 4), _text_chunk(b"iTXt", 6)]
    else:
        before = [chunk(b"iTXt", b'Comment\0\0\0\0\0tiff:Orientation="6"')]
    data = _png_with(before, after, img)
    with Image.open(io.BytesIO(data)) as im:
        want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(pixnorm.decode(data, orientation=True), want)
    np.testing.assert_array_equal(pixnorm.decode(data), img)  # orientation=False: as stored


def _xmp(orientation: int) -> bytes:
    return f'<x:xmpmeta><rdf:Description tiff:Orientation="{orientation}"/></x:xmpmeta>'.encode()


@pytest.mark.parametrize(
    "case",
    [
        "broken zTXt after", "truncated zTXt after", "empty zTXt after", "keyword only tEXt after",
        "non-UTF-8 iTXt text", "non-UTF-8 iTXt language", "EXIF orientation 0",
        "empty tEXt then raw iTXt", "many large zTXt then the last", "iTXt compressed garbage",
    ],
)  # fmt: skip
def test_png_xmp_follows_pillows_text_rules(case: str) -> None:
    """The cases a review found, each against Pillow's exif_transpose: which text chunk Pillow
    keeps (a zTXt that does not inflate is kept empty; an iTXt that is not UTF-8 is dropped but
    still sets the raw info["xmp"], read when the text is empty), and an EXIF orientation tag
    of 0 (present: XMP is not read)."""
    if CODECS["png"] is None:
        pytest.skip("PNG through Pillow in this build")
    key = b"XML:com.adobe.xmp\0"
    good6 = chunk(b"iTXt", key + b"\0\0\0\0" + _xmp(6))
    before: list[bytes] = [chunk(b"tEXt", key + _xmp(6))]
    after: list[bytes] = []
    if case == "broken zTXt after":
        after = [chunk(b"zTXt", key + b"\0" + b"not zlib at all")]
    elif case == "truncated zTXt after":
        after = [chunk(b"zTXt", key + b"\0" + zlib.compress(_xmp(3))[:30])]
    elif case == "empty zTXt after":
        after = [chunk(b"zTXt", key + b"\0" + zlib.compress(b""))]
    elif case == "keyword only tEXt after":
        after = [chunk(b"tEXt", key[:-1])]
    elif case == "non-UTF-8 iTXt text":
        after = [chunk(b"iTXt", key + b"\0\0\0\0" + b"\xff" + _xmp(3))]
    elif case == "non-UTF-8 iTXt language":
        after = [chunk(b"iTXt", key + b"\0\0" + b"\xff\0\0" + _xmp(3))]
    elif case == "EXIF orientation 0":
        e = "<"
        entry = struct.pack(e + "HHII", 0x0112, 4, 1, 0)
        tiff = b"II" + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1) + entry + b"\0" * 4
        before = [chunk(b"eXIf", tiff), chunk(b"iTXt", key + b"\0\0\0\0" + _xmp(8))]
    elif case == "empty tEXt then raw iTXt":
        before = [good6, chunk(b"tEXt", key)]
    elif case == "many large zTXt then the last":
        big = chunk(b"zTXt", key + b"\0" + zlib.compress(b" " * (1 << 20)))
        before, after = [good6], [big] * 9 + [chunk(b"zTXt", key + b"\0" + zlib.compress(_xmp(8)))]
    else:
        after = [chunk(b"iTXt", key + b"\1\0\0\0" + b"garbage, not zlib")]
    data = _png_with(before, after, photo(20, 30))
    with Image.open(io.BytesIO(data)) as im:
        want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(pixnorm.decode(data, orientation=True), want)


def test_jpeg_xmp_last_segment_and_exif_orientation_zero() -> None:
    """JPEG: Pillow's info["xmp"] is the last XMP segment's; an EXIF orientation tag of 0 stops
    it looking at XMP."""
    img = photo(20, 30)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=95, xmp=_xmp(6))
    data = buf.getvalue()
    seg = b"http://ns.adobe.com/xap/1.0/\0" + _xmp(8)
    second = b"\xff\xe1" + struct.pack(">H", len(seg) + 2) + seg
    data2 = data[:2] + data[2:].replace(b"\xff\xdb", second + b"\xff\xdb", 1)
    e = "<"
    entry = struct.pack(e + "HHII", 0x0112, 4, 1, 0)
    block = b"II" + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1) + entry + b"\0" * 4
    buf3 = io.BytesIO()
    Image.fromarray(img).save(buf3, "JPEG", quality=95, exif=b"Exif\0\0" + block, xmp=_xmp(6))
    for blob in (data2, buf3.getvalue()):
        with Image.open(io.BytesIO(blob)) as im:
            want = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        np.testing.assert_array_equal(pixnorm.decode(blob, orientation=True), want)
