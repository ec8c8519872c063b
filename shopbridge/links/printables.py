"""Printables: a poster for one product and sheets of labels, as PDF made with reportlab.

The QR code is drawn as a PNG rendered by :mod:`shopbridge.links.qr` at a resolution well above print needs
(at least 300 dpi for its printed size), so what is printed is exactly what the tests decode.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image as PILImage
from reportlab.lib.pagesizes import A4, A5, LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from shopbridge.links import qr

PAPER = {"A4": A4, "A5": A5, "Letter": LETTER}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)


@dataclass(frozen=True)
class Printable:
    """One product to print: what the shopper reads, and the URLs behind the QR code and the text."""

    title: str
    price: str
    scan_url: str  # what the QR code carries (/q/<code>): hits count as scans
    short_url: str  # what is printed for typing (/b/<code>)
    image_path: Path | None = None


def _fonts() -> tuple[str, str]:
    """DejaVu when installed (covers accents and the euro sign in any language), else Helvetica."""
    for folder in FONT_DIRS:
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _qr_reader(url: str, pixels: int) -> ImageReader:
    png = qr.render_png(url, qr.QrOptions(size=pixels, ec="M", border=4))
    return ImageReader(io.BytesIO(png))


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and pdfmetrics.stringWidth(f"{lines[-1]} {word}", font, size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(".,") + "…"
    return lines


def _display_url(url: str) -> str:
    return url.split("://", 1)[-1]


def poster(item: Printable, paper: str = "A4", call_to_action: str = "Scan to buy") -> bytes:
    """A one-page poster: product image, name, price, a large QR code and the short URL."""
    if paper not in PAPER:
        raise ValueError(f"paper must be one of {', '.join(PAPER)}")
    width, height = PAPER[paper]
    regular, bold = _fonts()
    margin = 15 * mm
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(item.title)
    scale = width / A4[0]  # type sizes follow the paper, so A5 looks like a smaller A4

    # The QR block takes the lower part of the page; the image gets what is left above the text.
    qr_side = min(width * 0.45, height * 0.3)
    qr_y = margin + 14 * mm * scale
    pdf.drawImage(_qr_reader(item.scan_url, 1200), (width - qr_side) / 2, qr_y, qr_side, qr_side)
    pdf.setFont(regular, 13 * scale)
    pdf.drawCentredString(width / 2, margin + 6 * mm * scale, _display_url(item.short_url))
    pdf.setFont(bold, 16 * scale)
    pdf.drawCentredString(width / 2, qr_y + qr_side + 5 * mm * scale, call_to_action)

    title_size = 30 * scale
    lines = _wrap(item.title, bold, title_size, width - 2 * margin, 2)
    text_top = qr_y + qr_side + 20 * mm * scale
    price_y = text_top
    pdf.setFont(bold, 24 * scale)
    pdf.drawCentredString(width / 2, price_y, item.price)
    y = price_y + 12 * mm * scale
    pdf.setFont(bold, title_size)
    for line in reversed(lines):
        pdf.drawCentredString(width / 2, y, line)
        y += title_size * 1.15

    image_bottom = y + 2 * mm
    image_box_h = height - margin - image_bottom
    if item.image_path and item.image_path.exists() and image_box_h > 30 * mm:
        with PILImage.open(item.image_path) as probe:
            iw, ih = probe.size
        box_w = width - 2 * margin
        ratio = min(box_w / iw, image_box_h / ih)
        draw_w, draw_h = iw * ratio, ih * ratio
        pdf.drawImage(str(item.image_path), (width - draw_w) / 2, image_bottom + (image_box_h - draw_h) / 2,
                      draw_w, draw_h, preserveAspectRatio=True, mask="auto")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


#: A common 3 × 8 label sheet (70 × 37 mm labels, no gaps), such as Avery 3474 or Herma 4453.
LABELS_ACROSS, LABELS_DOWN = 3, 8
LABEL_W, LABEL_H = 70 * mm, 37 * mm


def labels(items: list[Printable]) -> bytes:
    """Sheets of 3 × 8 labels on A4, one product per label: QR code on the left, name, price and URL beside."""
    if not items:
        raise ValueError("choose at least one product for the label sheet")
    regular, bold = _fonts()
    width, height = A4
    left = (width - LABELS_ACROSS * LABEL_W) / 2
    top = (height - LABELS_DOWN * LABEL_H) / 2
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle("Labels")
    per_page = LABELS_ACROSS * LABELS_DOWN
    pad = 3 * mm
    qr_side = LABEL_H - 2 * pad
    for index, item in enumerate(items):
        if index and index % per_page == 0:
            pdf.showPage()
        slot = index % per_page
        col, row = slot % LABELS_ACROSS, slot // LABELS_ACROSS
        x = left + col * LABEL_W
        y = height - top - (row + 1) * LABEL_H
        pdf.drawImage(_qr_reader(item.scan_url, 480), x + pad, y + pad, qr_side, qr_side)
        text_x = x + pad + qr_side + 2 * mm
        text_w = LABEL_W - (text_x - x) - pad
        pdf.setFont(bold, 9)
        line_y = y + LABEL_H - pad - 9
        for line in _wrap(item.title, bold, 9, text_w, 3):
            pdf.drawString(text_x, line_y, line)
            line_y -= 11
        pdf.setFont(bold, 11)
        pdf.drawString(text_x, y + pad + 12, item.price)
        pdf.setFont(regular, 6.5)
        pdf.drawString(text_x, y + pad + 2, _display_url(item.short_url))
    pdf.showPage()
    pdf.save()
    return out.getvalue()
