"""A small data-element dictionary covering every type a rule can compare, shared by the domain tests."""

from datetime import date

from yijianshi.policies.domain.policy import Benefit, Policy
from yijianshi.policies.domain.rules import Element

TOWNS = ("宽州镇", "石咀驿镇", "折家坪镇", "县外")

DICTIONARY = {e.code: e for e in (
    Element("person.birth_date", "出生日期", "date"),
    Element("person.id_number", "公民身份号码", "id_number"),
    Element("person.town", "所在镇", "enum", TOWNS),
    Element("person.disabled", "是否持证残疾人", "boolean"),
    Element("person.low_income", "是否城乡最低生活保障对象", "boolean"),
    Element("person.children", "子女数", "integer"),
    Element("person.name", "姓名", "string"),
    Element("person.residence_address", "现居住地址", "address"),
    Element("rsj.graduation_date", "毕业时间", "date"),
    Element("enterprise.layoff_rate", "上年度裁员率（%）", "decimal"),
    Element("enterprise.employee_count", "从业人数", "integer"),
    Element("enterprise.serious_dishonesty", "是否列入严重失信主体名单", "boolean"),
)}


def cond(element, op, value=None, *, measure=None, met=None, not_met=None, **extra):
    """A condition record with default wording, for tests that are not about the wording."""
    data = {"element": element, "op": op, "met": met or f"{element} {op} 成立",
            "not_met": not_met or f"{element} {op} 不成立"}
    if value is not None:
        data["value"] = value
    if measure:
        data["measure"] = measure
    data.update(extra)
    return data


def policy(code, node, params, target="person", effective_from=date(2000, 1, 1), effective_to=None):
    """A published policy around a parsed rule, for the batch tests."""
    return Policy(code=code, title=code, summary="", issuer="测试", level="county", legal_basis=(), target=target,
                  benefit=Benefit("测试"), mode="no_application", effective_from=effective_from,
                  effective_to=effective_to, department="mzj", needs_confirmation=False, note="", rule=node,
                  parameters=params)
