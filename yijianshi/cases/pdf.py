"""The case's printable papers: 受理回执, 一次性告知书 and 承诺书, rendered by WeasyPrint with the Noto CJK fonts
(as the catalog's guides are). Each carries a QR code to the case's status page, so a paper copy leads back online.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from yijianshi.cases.forms import problem_rows, target_labels
from yijianshi.cases.models import Case, CaseMaterial, Commitment, CorrectionNotice
from yijianshi.catalog.models import Material
from yijianshi.catalog.pdf import qr_data_uri

# Printed on every 一次性告知书: why the notice lists everything at once and what the pause means.
NOTICE_LEGAL_NOTE = (
    "依据《中华人民共和国行政许可法》第三十二条和《优化营商环境条例》第三十五条，申请材料不齐全或者不符合法定形式的，"
    "应当一次性告知申请人需要补正的全部内容。请按本告知书补正后重新提交；补正期间不计入承诺办结时限。"
    "如对本告知有异议，可拨打 12345 政务服务便民热线反映。")


def case_url(case: Case) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + f"/cases/{case.number}/"


def _render(template: str, case: Case, context: dict) -> bytes:
    url = case_url(case)
    html = render_to_string(template, {**context, "case": case, "public_url": url, "qr_code": qr_data_uri(url),
                                       "county": settings.COUNTY_NAME, "printed_at": timezone.localtime()})
    return HTML(string=html).write_pdf()


def _item_names(case: Case) -> list[str]:
    """The applicable sub-items, in the bundle's order, by their published names."""
    included = set((case.situation or {}).get("included", []))
    rows = case.bundle.bundle_items.select_related("item__published_version__department").order_by("position")
    return [(row.item.published_version.name, row.item.published_version.department.name)
            for row in rows if row.item.code in included]


def receipt_pdf(case: Case) -> bytes:
    materials = (CaseMaterial.objects.filter(case=case).select_related("material")
                 .order_by("material__name"))
    return _render("cases/pdf/receipt.html", case, {
        "items": _item_names(case), "materials": materials,
        "applicant": case.applicant.masked_display_name,
    })


def notice_pdf(notice: CorrectionNotice) -> bytes:
    case = notice.case
    issuer = notice.task.department.name if notice.task_id else _issuer_unit(notice.issued_by)
    return _render("cases/pdf/notice.html", case, {
        "notice": notice, "problems": problem_rows(notice.problems, target_labels(case)),
        "issuer": issuer, "applicant": case.applicant.masked_display_name, "legal_note": NOTICE_LEGAL_NOTE,
    })


def letter_parts(letter: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of a signed letter's text: the first line is its title; lines wrapped inside a
    paragraph are joined, numbered lines keep their own line."""
    lines = letter.strip().splitlines()
    title, paragraphs, current = (lines[0].strip() if lines else ""), [], []
    for line in lines[1:] + [""]:
        text = line.strip()
        if not text or text[:1].isdigit():
            if current:
                paragraphs.append("".join(current))
                current = []
            if text:
                paragraphs.append(text)
            continue
        current.append(text)
    return title, paragraphs


def commitment_pdf(commitment: Commitment) -> bytes:
    names = dict(Material.objects.filter(code__in=commitment.materials).values_list("code", "name"))
    title, paragraphs = letter_parts(commitment.letter)
    return _render("cases/pdf/commitment.html", commitment.case, {
        "commitment": commitment, "title": title, "paragraphs": paragraphs,
        "deferred": [names.get(code, code) for code in commitment.materials],
    })


def _issuer_unit(user) -> str:
    """The unit a notice was issued for: the staff member's department, else their service point."""
    grants = list(user.role_grants.select_related("department", "service_point"))
    unit = next((g.department for g in grants if g.department_id), None) or next(
        (g.service_point for g in grants if g.service_point_id), None)
    return unit.name if unit is not None else f"{settings.COUNTY_NAME}政务服务中心"
