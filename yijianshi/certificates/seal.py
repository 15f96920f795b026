"""The red round seal printed on a certificate, drawn as SVG: the seal's name round the upper rim, a five-pointed
star in the middle and a line of text under it, as on a Chinese official seal (GA 241 layout). Each character is
placed and turned by hand rather than with <textPath>, which not every SVG renderer (WeasyPrint's included)
follows. The picture is decoration: what proves the certificate is the signature in its QR code."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

RED = "#d81e06"
FONT = "Noto Serif CJK SC, Noto Sans CJK SC, serif"


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(54))
    points = []
    for n in range(10):
        radius = outer if n % 2 == 0 else inner
        angle = math.radians(-90 + n * 36)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return " ".join(points)


def seal_svg(name: str, *, footer: str = "电子证照专用", size: int = 160) -> SafeString:
    """An SVG seal ``size`` px wide; ``name`` runs clockwise round the top, ``footer`` sits under the star."""
    centre = size / 2
    rim = size / 2 - 3
    text_radius = rim - size * 0.135
    glyph = size * (0.13 if len(name) <= 12 else 0.11 if len(name) <= 15 else 0.088)
    # The name spans up to 250 degrees, centred on the top; fewer characters are spaced less widely.
    span = min(250.0, max(120.0, len(name) * 17.0))
    step = span / max(len(name) - 1, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="seal" width="{size}" height="{size}" '
             f'viewBox="0 0 {size} {size}" role="img" aria-label="{escape(name)}">',
             f'<circle cx="{centre}" cy="{centre}" r="{rim}" fill="none" stroke="{RED}" stroke-width="{size * 0.03:.2f}"/>']
    for n, character in enumerate(name):
        angle = -90 - span / 2 + n * step  # degrees, 0 = east, clockwise
        x = centre + text_radius * math.cos(math.radians(angle))
        y = centre + text_radius * math.sin(math.radians(angle))
        parts.append(f'<text x="0" y="0" transform="translate({x:.2f},{y:.2f}) rotate({angle + 90:.2f})" '
                     f'font-family="{FONT}" font-size="{glyph:.2f}" font-weight="bold" fill="{RED}" '
                     f'text-anchor="middle" dominant-baseline="central">{escape(character)}</text>')
    parts.append(f'<polygon points="{_star(centre, centre, size * 0.14)}" fill="{RED}"/>')
    if footer:
        parts.append(f'<text x="{centre}" y="{centre + size * 0.27:.2f}" font-family="{FONT}" '
                     f'font-size="{size * 0.085:.2f}" fill="{RED}" text-anchor="middle">{escape(footer)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it was escaped above
