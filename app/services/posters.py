"""Printable A4 posters of place codes (PNG, 150 dpi): the venue's name, the QR code at error
correction level H, and one line of instructions in Chinese and English.

Posters are rendered rarely and printed, so this uses the `qrcode` package at level H (30 %
of the symbol may be dirty or torn) rather than the level-M fast path of `codes.qr`. Chinese
needs a CJK font: `HEALTHCODE_POSTER_FONT`, else the first one found among common paths.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Final

import qrcode
from PIL import Image, ImageDraw, ImageFont

from app.errors import Unavailable

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
QR_SIDE: Final = 900
INSTRUCTIONS_ZH: Final = "请用健康码应用扫码登记"
INSTRUCTIONS_EN: Final = "Scan with the Healthcode app to check in"
FONT_CANDIDATES: Final = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


@cache
def font_path(configured: str) -> str:
    """The CJK font to draw with, or Unavailable naming what to install."""
    for candidate in (configured, *FONT_CANDIDATES) if configured else FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise Unavailable(
        "No CJK font for posters: install fonts-wqy-microhei or set HEALTHCODE_POSTER_FONT."
    )


def _qr(text: str) -> Image.Image:
    maker = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, box_size=1, border=4)
    maker.add_data(text)
    maker.make(fit=True)
    matrix = maker.get_matrix()  # border included
    side = len(matrix)
    image = Image.new("1", (side, side), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    scale = QR_SIDE // side
    return image.resize((side * scale, side * scale), Image.Resampling.NEAREST)


def _centered(draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont) -> int:
    """Draw one centred line (shrunk to fit the page) and return the y below it."""
    while draw.textlength(text, font=font) > WIDTH - 120 and font.size > 16:
        font = font.font_variant(size=int(font.size * 0.9))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((WIDTH - (right - left)) // 2 - left, y - top), text, font=font, fill=0)
    return y + int(bottom - top)


def render(*, name: str, code: str, valid_until: datetime, font: str) -> bytes:
    """The poster as a PNG."""
    page = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(page)
    title = ImageFont.truetype(font, 72)
    body = ImageFont.truetype(font, 40)
    small = ImageFont.truetype(font, 28)
    y = _centered(draw, 110, name, title) + 60
    qr = _qr(code)
    page.paste(qr.convert("L"), ((WIDTH - qr.width) // 2, y))
    y += qr.height + 50
    y = _centered(draw, y, f"{INSTRUCTIONS_ZH} · {INSTRUCTIONS_EN}", body) + 40
    _centered(draw, y, f"有效期至 Valid until {valid_until:%Y-%m-%d %H:%M} UTC", small)
    out = io.BytesIO()
    page.save(out, format="PNG", optimize=True)
    return out.getvalue()
