"""The certificate as a printable PDF (WeasyPrint, Noto CJK fonts, as the case papers are): the data table, the
identifier, a QR code leading to the public verification page with the signed text, the red seal, and the signing
algorithm and key in small print. The holder's own copy: personal numbers are printed in full, as on paper."""

from __future__ import annotations

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from yijianshi.certificates.models import Certificate, Issuer, SealKey
from yijianshi.certificates.seal import seal_svg
from yijianshi.certificates.selectors import certificate_rows, verify_url


def qr_svg_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=3, border=2)


def certificate_context(certificate: Certificate) -> dict:
    issuer = Issuer.objects.filter(department_id=certificate.department_id).first()
    seal_name = issuer.seal_name if issuer else certificate.department.name
    url = verify_url(certificate.qr_text)
    key = SealKey.objects.filter(key_id=certificate.key_id).first()
    algorithm = key.algorithm if key else ""
    return {"certificate": certificate, "type": certificate.type, "seal": seal_svg(seal_name),
            "seal_name": seal_name, "issuer_name": certificate.department.full_name or certificate.department.name,
            "verify_url": url, "qr_code": qr_svg_data_uri(url), "county": settings.COUNTY_NAME,
            "algorithm": "SM2（SM3 摘要）" if algorithm == "SM2" else algorithm,
            "verify_page": settings.PUBLIC_BASE_URL.rstrip("/") + "/certificates/verify/"}


def certificate_pdf(certificate: Certificate) -> bytes:
    html = render_to_string("certificates/pdf/certificate.html", {
        **certificate_context(certificate), "rows": certificate_rows(certificate, masked=False),
        "printed_at": timezone.localtime()})
    return HTML(string=html).write_pdf()
