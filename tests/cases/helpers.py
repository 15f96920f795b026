"""Valid applications for any bundle, read from the catalog: questionnaire answers, form data that passes the
data-element rules, and files for every material the application needs. For service tests, API tests and
benchmarks alike, so a change in the catalog changes what they submit instead of breaking them.

    answers = helpers.answers_for("newborn", vaccination_card_received="yes")
    files = helpers.upload_materials(client, "newborn", answers)          # through POST /api/v1/files
    body = helpers.application_body("newborn", answers, files=files, applicant=resident.person)
    submission = helpers.submission("newborn", answers, files=helpers.store_materials("newborn", answers, owner=resident))
"""

from __future__ import annotations

import re
import zlib
from datetime import date, timedelta
from decimal import Decimal

from stdnum.cn import ric

from yijianshi.cases import plan, storage
from yijianshi.cases.domain.forms import FieldRule
from yijianshi.cases.services import Submission
from yijianshi.catalog.domain import situation
from yijianshi.catalog.models import Bundle
from yijianshi.catalog.selectors import bundle_questionnaire

# --- files ------------------------------------------------------------------------------------------------------


def pdf(label: str = "材料") -> bytes:
    """A small, well-formed PDF; different labels give different files (uploads are stored by their hash)."""
    text = f"(QJ {zlib.crc32(label.encode()):08x}) Tj"
    stream = f"BT /F1 12 Tf 72 720 Td {text} ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    body, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def png() -> bytes:
    """A 1×1 PNG (a phone photo, as far as the upload check is concerned)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


# What the upload must refuse: a Windows program, a web page, a PDF that runs a script when opened.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PDF_WITH_JAVASCRIPT = pdf("脚本").replace(
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert('x')) >> >>")


# --- people's numbers -------------------------------------------------------------------------------------------

def id_number(birth: str, serial: int) -> str:
    """A valid synthetic ID number of 清涧县 (region 610830) for a birth date 'YYYYMMDD' and serial 0-999."""
    base = f"610830{birth}{serial:03d}"
    return base + ric.calc_check_digit(base + "0")


# --- answers ----------------------------------------------------------------------------------------------------

def answers_for(bundle_code: str, **choices: str) -> dict:
    """The questionnaire's default answers (the commonest situation), with `choices` overriding; only questions
    actually asked for these answers are included, as a browser would post them."""
    questionnaire = bundle_questionnaire(Bundle.objects.get(code=bundle_code))
    answers: dict[str, str] = {}
    for question in questionnaire.questions:
        if question.ask_when is not None and not question.ask_when.holds(answers):
            continue
        value = choices.get(question.id, question.default if question.default is not None else question.values[0])
        answers[question.id] = value
    unknown = set(choices) - {q.id for q in questionnaire.questions}
    if unknown:
        raise ValueError(f"{bundle_code} has no questions {sorted(unknown)}")
    return answers


def included_items(bundle_code: str, answers: dict | None = None) -> list[str]:
    """Item codes that apply for these answers, in bundle order."""
    _, outcome = plan.situation_outcome(Bundle.objects.get(code=bundle_code), _answers(bundle_code, answers))
    return list(outcome.included)


def _answers(bundle_code: str, answers: dict | None) -> dict:
    return answers_for(bundle_code) if answers is None else answers


def _outcome(bundle_code: str, answers: dict | None):
    rows, outcome = plan.situation_outcome(Bundle.objects.get(code=bundle_code), _answers(bundle_code, answers))
    if outcome.errors:
        raise ValueError(f"incomplete answers for {bundle_code}: {outcome.errors}")
    return rows, outcome


# --- the merged form --------------------------------------------------------------------------------------------

def form_rules(bundle_code: str, answers: dict | None = None) -> list[FieldRule]:
    rows, outcome = _outcome(bundle_code, answers)
    return plan.form_rules(rows, set(outcome.included))


def _known_values(applicant) -> dict:
    """Plausible values for the elements the three end-to-end bundles use; the applicant's own where it fits."""
    from yijianshi.accounts.models import Enterprise, Person

    today = date.today()
    person = applicant if isinstance(applicant, Person) else getattr(applicant, "legal_representative", None)
    enterprise = applicant if isinstance(applicant, Enterprise) else None
    values = {
        "person.name": "张桂兰", "person.id_number": id_number("19900101", 11), "person.mobile": "13800000001",
        "person.ethnicity": "汉族", "person.hukou_address": "陕西省榆林市清涧县宽州镇秀延东路18号",
        "person.residence_address": "陕西省榆林市清涧县宽州镇秀延东路18号", "person.town": "宽州镇",
        "spouse.name": "李建军", "spouse.id_number": id_number("19890505", 12),
        "child.name": "李小宝", "child.gender": "男", "child.birth_date": (today - timedelta(days=7)).isoformat(),
        "wjj.birth_institution": "清涧县人民医院", "wjj.applicant_role": "母亲", "gaj.child_ethnicity": "汉族",
        "gaj.hukou_follow": "随父落户", "ybj.resident_category": "新生儿", "rsj.card_bank": "中国农业银行",
        "rsj.card_collection_method": "银行网点领取",
        "enterprise.name": "清涧县红枣食品有限公司", "enterprise.credit_code": "91610830MA7QJ0001J",
        "enterprise.type": "有限责任公司", "enterprise.legal_representative": "马丽",
        "enterprise.legal_representative_id_number": id_number("19600303", 11),
        "enterprise.registered_address": "陕西省榆林市清涧县宽州镇红枣产业园3号",
        "enterprise.registered_capital": "100", "enterprise.business_scope": "红枣制品生产、销售；农副产品收购",
        "enterprise.industry": "农副食品加工业", "enterprise.employee_count": 12,
        "enterprise.contact_name": "马丽", "enterprise.contact_mobile": "13800000003",
        "enterprise.bank_name": "中国农业银行清涧县支行", "enterprise.taxpayer_type": "小规模纳税人",
        "gaj.seal_types": "公章、财务专用章、发票专用章、法定代表人名章", "gaj.seal_maker": "清涧县宏远印章有限公司",
        "swj.financial_officer_name": "王芳", "swj.financial_officer_mobile": "13800000011",
        "swj.tax_agent_name": "王芳", "swj.tax_agent_mobile": "13800000011",
        "house.location": "陕西省榆林市清涧县宽州镇秀延西路6号2单元301室",
        "house.certificate_number": "陕（2021）清涧县不动产权第0001234号", "house.contract_number": "QJWQ2026001234",
        "house.area": "89.50", "house.usage": "住宅", "house.transaction_price": "420000",
        "house.buyer_name": "张桂兰", "house.buyer_id_number": id_number("19900101", 11),
        "house.seller_name": "刘志强", "house.seller_id_number": id_number("19750808", 13),
        "zrzyj.registration_type": "转移登记", "zrzyj.co_ownership": "单独所有",
        "swj.buyer_housing_status": "家庭唯一住房",
    }
    if person is not None:
        values.update({"person.name": person.name, "person.id_number": person.id_number,
                       "person.mobile": person.mobile or values["person.mobile"],
                       "house.buyer_name": person.name, "house.buyer_id_number": person.id_number})
    if enterprise is not None:
        values.update({"enterprise.name": enterprise.name, "enterprise.credit_code": enterprise.credit_code,
                       "enterprise.legal_representative": enterprise.legal_representative.name,
                       "enterprise.legal_representative_id_number": enterprise.legal_representative.id_number})
    return values


_PATTERN_CANDIDATES = ["1234567890123456", "12345678", "6100000000001", "QJ2026001", "A1"]


def value_for(rule: FieldRule) -> object:
    """A value the form check accepts, for an element with no plausible value above."""
    v = rule.validation or {}
    if "choices" in v:
        return v["choices"][0]
    kind = rule.data_type
    if kind == "date":
        return (date.today() - timedelta(days=30)).isoformat()
    if kind in ("integer", "decimal"):
        low, high = v.get("min", 1), v.get("max", max(v.get("min", 1), 1) + 100)
        number = max(low, min(high, 1 if kind == "integer" else Decimal("100")))
        return int(number) if kind == "integer" else str(number)
    if kind == "boolean":
        return True
    if kind == "id_number":
        return id_number("19800101", 21)
    if kind == "credit_code":
        return "91610830MA7QJ0001J"
    if kind == "phone":
        return "13800000009"
    if "pattern" in v:
        for candidate in _PATTERN_CANDIDATES:
            if re.fullmatch(v["pattern"], candidate):
                return candidate
        raise ValueError(f"no test value fits {rule.element} (pattern {v['pattern']}); add one to helpers")
    return ("测试" + rule.label)[: v.get("max_length", 50)]


def form_data(bundle_code: str, answers: dict | None = None, *, applicant=None, optional: bool = False,
              **overrides) -> dict:
    """Every required field of the merged form (all fields with optional=True), valid. `applicant` (a Person or
    an Enterprise) supplies the name and numbers; `overrides` use element codes with '.' written as '__'."""
    known = _known_values(applicant)
    data = {}
    for rule in form_rules(bundle_code, answers):
        if rule.required or optional:
            data[rule.element] = known[rule.element] if rule.element in known else value_for(rule)
    data.update({key.replace("__", "."): value for key, value in overrides.items()})
    return data


# --- materials --------------------------------------------------------------------------------------------------

def material_needs(bundle_code: str, answers: dict | None = None) -> dict[str, dict]:
    """material code -> {id, name, required, items} for the application with these answers."""
    rows, outcome = _outcome(bundle_code, answers)
    return plan.material_needs(rows, outcome)


def required_materials(bundle_code: str, answers: dict | None = None) -> list[str]:
    return [code for code, need in material_needs(bundle_code, answers).items() if need["required"]]


def tolerable_materials(bundle_code: str, answers: dict | None = None) -> list[str]:
    """Required materials that may follow later under 容缺受理 for these answers."""
    rows, outcome = _outcome(bundle_code, answers)
    needs = plan.material_needs(rows, outcome)
    questionnaire = bundle_questionnaire(Bundle.objects.get(code=bundle_code))
    return situation.tolerable_materials(questionnaire, rows, set(outcome.included), needs)


def store_materials(bundle_code: str, answers: dict | None = None, *, owner) -> dict[str, int]:
    """material code -> StoredFile id for each required material, stored directly as uploaded by ``owner``."""
    return {code: storage.store(pdf(f"{bundle_code}:{code}"), owner=owner).pk
            for code in required_materials(bundle_code, answers)}


def upload_materials(client, bundle_code: str, answers: dict | None = None) -> dict[str, int]:
    """material code -> file id for each required material, uploaded through POST /api/v1/files."""
    files = {}
    for code in required_materials(bundle_code, answers):
        response = upload(client, pdf(f"{bundle_code}:{code}"), name=f"{code}.pdf")
        assert response.status_code == 201, response.content
        files[code] = response.json()["id"]
    return files


def upload(client, data: bytes, name: str = "材料.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/files", {"file": SimpleUploadedFile(name, data)})


# --- whole applications -----------------------------------------------------------------------------------------

def application_body(bundle_code: str, answers: dict | None = None, *, files: dict[str, int], applicant=None,
                     form: dict | None = None, **extra) -> dict:
    """The JSON body of POST /api/v1/applications; `extra` sets delivery_method, principal_id and the like."""
    answers = _answers(bundle_code, answers)
    body = {"bundle_code": bundle_code, "answers": answers,
            "form_data": form if form is not None else form_data(bundle_code, answers, applicant=applicant),
            "materials": files, "deferred_materials": [], "commitment_signed": False,
            "delivery_method": "download"}
    body.update(extra)
    return body


def submission(bundle_code: str, answers: dict | None = None, *, files: dict[str, int], applicant=None,
               form: dict | None = None, **extra) -> Submission:
    """The same application as a services.Submission, for case_submit."""
    body = application_body(bundle_code, answers, files=files, applicant=applicant, form=form, **extra)
    body.pop("principal_id", None)
    return Submission(**body)
