"""QR rendering and decoding round trips, and refusal of bad images."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

import pytest
from PIL import Image

from codes import HEALTH, Claims, SigningKey, TrustBundle, check, issue
from codes.errors import ImageTooLargeError, NoCodeFoundError, NotAnImageError
from codes.qr import decode_image, render_png, render_svg


@pytest.mark.parametrize("key_name", ["es_key", "ed_key"])
@pytest.mark.parametrize("photo", [True, False])
def test_issue_png_decode_verify(
    request: pytest.FixtureRequest,
    key_name: str,
    photo: bool,
    make_claims: Callable[..., Claims],
    bundle: TrustBundle,
    now: datetime,
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    text = issue(make_claims(color="red"), key, kind=HEALTH)
    png = render_png(text)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = decode_image(png, photo=photo)
    assert decoded == text
    result = check(decoded, bundle, now=now, kinds=[HEALTH])
    assert result.valid and result.color == "red"


def test_png_geometry_and_version(es_key: SigningKey, make_claims: Callable[..., Claims]) -> None:
    import zxingcpp

    text = issue(make_claims(), es_key, kind=HEALTH)
    image = Image.open(io.BytesIO(render_png(text, scale=4)))
    assert image.mode == "1" and image.size[0] == image.size[1]
    modules = image.size[0] // 4 - 8  # 4-module quiet zone on each side
    version = (modules - 17) // 4
    found = zxingcpp.read_barcodes(image.convert("L"))[0]
    assert found.extra["Version"] == str(version) and found.extra["ECLevel"] == "M"
    assert version <= 11


@pytest.mark.parametrize("scale", [1, 3, 8, 16])
def test_png_scales_are_exact_upscales(
    scale: int, ed_key: SigningKey, make_claims: Callable[..., Claims]
) -> None:
    text = issue(make_claims(), ed_key, kind=HEALTH)
    unit = Image.open(io.BytesIO(render_png(text, scale=1)))
    scaled = Image.open(io.BytesIO(render_png(text, scale=scale)))
    assert scaled.size == (unit.size[0] * scale, unit.size[1] * scale)
    expected = unit.resize(scaled.size, Image.Resampling.NEAREST)
    assert scaled.tobytes() == expected.tobytes()
    if scale >= 3:
        assert decode_image(render_png(text, scale=scale), photo=False) == text


def test_photo_mode_reads_a_rotated_render(
    es_key: SigningKey, make_claims: Callable[..., Claims]
) -> None:
    text = issue(make_claims(), es_key, kind=HEALTH)
    rotated = Image.open(io.BytesIO(render_png(text))).convert("L").rotate(90, expand=True)
    rotated = rotated.resize((rotated.width // 2 + 3, rotated.height // 2 + 3))
    buffer = io.BytesIO()
    rotated.save(buffer, "JPEG", quality=80)
    assert decode_image(buffer.getvalue(), photo=True) == text


def test_svg_is_valid_xml_with_the_same_modules(
    es_key: SigningKey, make_claims: Callable[..., Claims]
) -> None:
    text = issue(make_claims(), es_key, kind=HEALTH)
    svg = render_svg(text)
    root = ET.fromstring(svg.split("\n", 1)[1])
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    side = int(root.get("viewBox", "").split()[2])
    png = Image.open(io.BytesIO(render_png(text, scale=1)))
    assert png.size == (side, side)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    dark = sum(int(seg.split("h")[1].split("v")[0]) for seg in path.get("d", "").split("M")[1:])
    assert dark == png.convert("L").tobytes().count(0)


def test_not_an_image() -> None:
    with pytest.raises(NotAnImageError):
        decode_image(b"definitely not a PNG")
    with pytest.raises(NotAnImageError):
        decode_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def test_no_code_found() -> None:
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, "PNG")
    with pytest.raises(NoCodeFoundError):
        decode_image(buffer.getvalue())


def test_pixel_bomb_refused_before_decoding() -> None:
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000), 1).save(buffer, "PNG")  # 48 MP, a few KB compressed
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(ImageTooLargeError):
        decode_image(buffer.getvalue())


def test_too_many_bytes_refused() -> None:
    with pytest.raises(ImageTooLargeError):
        decode_image(b"\x00" * (10 * 1024 * 1024 + 1))


def test_scale_bounds() -> None:
    with pytest.raises(ValueError):
        render_png("HCX1:AA", scale=0)
