"""The certificate's PDF: a real document whose Chinese text survives extraction, carrying the data, the identifier,
the seal and the signing key, with a QR code that leads to the public verification of this very certificate."""

import shutil
import subprocess
from urllib.parse import quote

import pytest

from tests.certificates.conftest import BUSINESS_LICENCE, EMPLOYMENT_CARD
from yijianshi.certificates import services
from yijianshi.certificates.pdf import certificate_pdf
from yijianshi.certificates.seal import seal_svg
from yijianshi.certificates.selectors import verify_url

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed")]


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.PUBLIC_BASE_URL = "https://zwfw.qingjian.gov.cn"


def _text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    result = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())  # CJK text may be spaced out by the layout


def test_the_pdf_prints_the_certificate_its_holder_identifier_seal_and_key(issue, resident):
    card = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    text = _text(certificate_pdf(card))
    assert "就业创业证" in text and "张桂兰" in text and card.identifier in text
    assert EMPLOYMENT_CARD["id_number"] in text  # the holder's own copy is the full certificate
    assert "清涧县人力资源和社会保障局电子印章" in text and card.key_id in text and "SM2" in text
    assert "有效期" in text and "长期" in text


def test_a_revoked_certificates_pdf_says_so(issue, representative, spj_leader):
    licence = issue("business-licence", representative.enterprise, **BUSINESS_LICENCE)
    licence = services.certificate_revoke(user=spj_leader, certificate=licence, reason="以欺骗手段取得登记")
    text = _text(certificate_pdf(licence))
    assert "营业执照" in text and "清涧县红枣食品有限公司" in text and "本证照已吊销" in text


def test_the_qr_code_holds_the_verification_url_of_this_certificate(issue, resident):
    card = issue("employment-card", resident.person, **EMPLOYMENT_CARD)
    url = verify_url(card.qr_text)
    assert url == "https://zwfw.qingjian.gov.cn/certificates/verify/?q=" + quote(card.qr_text, safe=":$*/")
    assert len(url) < 1000  # fits a QR code printed 40 mm wide (version 20 or so at level M)


def test_the_seal_escapes_its_name_and_draws_a_star():
    svg = str(seal_svg("清涧县<民政局>电子印章"))
    assert "&lt;" in svg and "<民" not in svg and "<polygon" in svg and svg.count("<text") == 12 + 1  # one per character, one footer
