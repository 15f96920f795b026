"""Every page carries a Content Security Policy that allows scripts only from our own origin."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/bundles/newborn/", "/api/docs"])
def test_pages_carry_a_strict_script_policy(url):
    response = Client().get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_the_api_docs_load_swagger_from_our_own_static_files():
    html = Client().get("/api/docs").content.decode()
    assert "cdn.jsdelivr" not in html and "/static/ninja/swagger-ui-bundle.js" in html


def test_no_template_has_inline_script():
    """CSP would silently break an inline script; keep them out of the templates altogether."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "yijianshi"
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            offenders.append(f"{template.relative_to(root)}: {match.group(0)}")
        if re.search(r"\son(click|change|submit|load|input)=", text):
            offenders.append(f"{template.relative_to(root)}: inline event handler")
    assert offenders == []
