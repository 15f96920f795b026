import re
import zlib

import pytest

pytestmark = pytest.mark.django_db


def test_bundle_guide_page_shows_items_departments_flow_materials_and_savings(client):
    response = client.get("/bundles/resale-housing-transfer/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("二手房转移登记及水电气暖联动过户", "县自然资源和规划局牵头", "不动产统一登记", "国网清涧供电公司",
                 "<svg", "一表申请", "一套材料", "个工作日", "最多跑动", "清涧县政务服务中心", "下载办事指南（PDF）"):
        assert text in page, text


def test_bundle_guide_records_the_attachment_typo_corrections(client):
    page = client.get("/bundles/business-startup/").content.decode()
    assert "公章刻制备案" in page and "附件原文“公章刻制各案”" in page


def test_item_guide_page_shows_the_implementation_list_elements(client):
    page = client.get("/items/SPJ-003/").content.decode()
    for text in ("食品经营许可", "设定依据", "受理条件", "申请材料", "法定办结时限", "承诺办结时限", "到现场次数",
                 "通办范围", "监督投诉电话", "企业准营（以餐饮店为例）"):
        assert text in page, text


def test_unknown_guides_are_404(client):
    assert client.get("/bundles/nothing/").status_code == 404
    assert client.get("/items/NOPE-1/").status_code == 404
    assert client.get("/bundles/nothing/guide.pdf").status_code == 404


def test_bundle_guide_pdf_is_a_chinese_pdf_with_embedded_cjk_font(client):
    response = client.get("/bundles/newborn/guide.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"%PDF-")
    assert "Noto-Sans-CJK-SC" in _pdf_font_names(body), "the CJK font is embedded, so the PDF shows Chinese anywhere"


def test_item_guide_pdf_renders(client):
    response = client.get("/items/GAJ-002/guide.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_bundle_list_filters_by_subject_and_ignores_unknown_values(client):
    page = client.get("/bundles/", {"subject": "enterprise"}).content.decode()
    assert "企业开办" in page and "新生儿出生" not in page
    assert client.get("/bundles/", {"subject": "x"}).status_code == 200


def _pdf_font_names(pdf: bytes) -> str:
    """Font names live in compressed object streams; inflate every stream and collect /FontName entries."""
    names = re.findall(rb"/FontName\s*/([A-Za-z0-9+\-]+)", pdf)
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            names += re.findall(rb"/FontName\s*/([A-Za-z0-9+\-]+)", zlib.decompress(stream))
        except zlib.error:
            continue
    return " ".join(n.decode() for n in names)
