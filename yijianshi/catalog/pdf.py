"""Printable PDF guides: the guide's HTML rendered by WeasyPrint with Noto CJK fonts and a QR code."""

from __future__ import annotations

import base64

import segno
from django.template.loader import render_to_string
from weasyprint import HTML


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=3, border=1)


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_guide_pdf(template: str, context: dict) -> bytes:
    context = {**context, "qr_code": qr_data_uri(context["public_url"])}
    if "flow_svg" in context:
        context["flow_image"] = svg_data_uri(context["flow_svg"])
    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()
