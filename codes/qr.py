"""QR images of codes: PNG/SVG rendering and decoding (the only module using zxing-cpp/PIL)."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Final

import zxingcpp
from PIL import Image

from codes.errors import ImageTooLargeError, NoCodeFoundError, NotAnImageError
from codes.kinds import KINDS

EC_LEVEL: Final = "M"
QUIET_ZONE: Final = 4
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 40_000_000
MAX_IMAGE_SIDE: Final = 10_000  # a 1 x 39,000,000 strip is under the pixel cap but not a photo
IMAGE_FORMATS: Final = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
_QR: Final = zxingcpp.BarcodeFormat.QRCode
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_BINARIZE: Final = bytes(0 if i < 128 else 255 for i in range(256))
_QR_ONLY: Final = zxingcpp.BarcodeFormats(_QR)


def _modules(text: str) -> tuple[int, bytes]:
    """Build the symbol (mask chosen by zxing-cpp in C++); return (side, 1-px-per-module
    grayscale rows including a 4-module quiet zone)."""
    barcode = zxingcpp.create_barcode(text, _QR, ec_level=EC_LEVEL)
    image = zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=True)
    side = image.shape[0]
    pixels = bytes(memoryview(image))  # type: ignore[arg-type]  # stub lacks buffer
    return side, pixels.translate(_BINARIZE)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _scaled_row(row: bytes, scale: int) -> bytes:
    """One 1-bit PNG scanline (filter byte + packed bits) for a row of 0/255 modules."""
    if scale % 8 == 0:  # a module is whole bytes: 0x00 dark, 0xFF light
        if scale == 8:
            return b"\x00" + row
        per_module = {0: b"\x00" * (scale // 8), 255: b"\xff" * (scale // 8)}
        return b"\x00" + b"".join(map(per_module.__getitem__, row))
    width = len(row) * scale
    bits = "".join("1" * scale if px else "0" * scale for px in row) + "0" * (-width % 8)
    return b"\x00" + int(bits, 2).to_bytes((width + 7) // 8, "big")


def render_png(text: str, *, scale: int = 8) -> bytes:
    """Render text as a 1-bit PNG QR code, `scale` pixels per module (8 -> ~520 px at V10)."""
    if not 1 <= scale <= 40:
        raise ValueError("scale must be between 1 and 40")
    side, pixels = _modules(text)
    raw = b"".join(
        _scaled_row(pixels[y * side : (y + 1) * side], scale) * scale for y in range(side)
    )
    size = side * scale
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        _PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def render_svg(text: str, *, module_px: int = 8) -> str:
    """Render text as a standalone SVG QR code (one path, module units in the viewBox)."""
    side, pixels = _modules(text)
    parts = []
    for y in range(side):
        row = pixels[y * side : (y + 1) * side]
        x = 0
        while x < side:
            if row[x] == 0:
                start = x
                while x < side and row[x] == 0:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    size = side * module_px
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>\n'
    )


def _open(data: bytes) -> Image.Image:
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLargeError(f"image larger than {MAX_IMAGE_BYTES} bytes")
    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Exception as exc:  # PIL raises many types on hostile input
        raise NotAnImageError("not a readable PNG/JPEG/WEBP/GIF/BMP image") from exc
    width, height = image.size  # header only: checked before any pixel is decoded
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageTooLargeError(f"image has more than {MAX_IMAGE_PIXELS} pixels")
    if max(width, height) > MAX_IMAGE_SIDE:
        raise ImageTooLargeError(f"image is wider or taller than {MAX_IMAGE_SIDE} pixels")
    try:
        return image.convert("L")
    except Exception as exc:
        raise NotAnImageError("image data is corrupt") from exc


def decode_image(data: bytes, *, photo: bool = True) -> str:
    """Return the text of the first QR code in an image (prefers one with our prefix).

    photo=True (uploads, camera shots) keeps zxing-cpp's rotate and downscale passes;
    photo=False is for clean renders. Inverted search is always off: we never render it.
    """
    image = _open(data)
    results = zxingcpp.read_barcodes(
        image,
        formats=_QR_ONLY,
        try_rotate=photo,
        try_downscale=photo,
        try_invert=False,
        is_pure=not photo,
    )
    texts = [r.text for r in results if r.valid]
    if not texts:
        raise NoCodeFoundError("no QR code found in the image")
    return next((t for t in texts if KINDS.by_text(t) is not None), texts[0])
