"""Demo applications for a local run (`seed_demo`) and for tests: answers as given (defaults otherwise), every
merged-form field filled with a plausible value of its data type, every needed material uploaded as a small PDF."""

from __future__ import annotations

import re

from yijianshi.cases import plan as case_plan
from yijianshi.cases import storage
from yijianshi.cases.selectors import authoritative_values
from yijianshi.cases.services import Submission
from yijianshi.catalog.models import Bundle

SAMPLE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
_PATTERN_SAMPLES = ["1234567890123", "2026-01", "610830123456789012345678ABCD", "610830198503150026X11",
                    "1234567890", "12345678901234567890", "A12345", "12345678"]
_TYPE_SAMPLES = {"date": "2026-11-20", "integer": 1, "decimal": "100", "boolean": True,
                 "id_number": "61083019850315002X", "phone": "13800000009", "credit_code": "91610830MA7QJ0002M",
                 "address": "清涧县宽州镇秀延路 1 号", "text": "情况说明"}


def sample_value(rule) -> object:
    """A value that passes the rule: the first choice, a string matching the pattern, or one per data type."""
    v = rule.validation or {}
    if v.get("choices"):
        return v["choices"][0]
    if v.get("pattern"):
        return next(s for s in _PATTERN_SAMPLES if re.fullmatch(v["pattern"], s))
    return _TYPE_SAMPLES.get(rule.data_type, "测试")


def sample_submission(bundle_code: str, answers: dict | None = None, *, owner, principal=None, skip_materials=(),
                      defer=(), commitment_signed=False, **extra) -> Submission:
    """`principal` (a Party; the owner's own Person by default) supplies the values its records hold, which the
    platform would refuse to see contradicted."""
    bundle = Bundle.objects.get(code=bundle_code)
    rows, outcome = case_plan.situation_outcome(bundle, answers or {})
    form = {rule.element: sample_value(rule) for rule in case_plan.form_rules(rows, set(outcome.included))}
    principal = principal if principal is not None else getattr(owner, "person", None)
    if principal is not None:
        held = authoritative_values(principal)
        form.update({code: held[code].value for code in form if code in held})
    needs = case_plan.material_needs(rows, outcome)
    stored = storage.store(SAMPLE_PDF, owner=owner)
    materials = {code: stored.pk for code in needs if code not in skip_materials and code not in defer}
    return Submission(bundle_code=bundle_code, answers=answers or {}, form_data=form, materials=materials,
                      deferred_materials=list(defer), commitment_signed=commitment_signed, **extra)
