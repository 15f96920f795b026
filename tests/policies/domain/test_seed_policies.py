"""The seed policies in data/policies/ pass the validator and decide the cases they were written for."""

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from yijianshi.catalog.datafiles import read_catalog
from yijianshi.policies.domain.compiler import evaluate_all, profiles_frame
from yijianshi.policies.domain.interpreter import explain
from yijianshi.policies.domain.policy import PolicyError, load_policies, parse_policy
from yijianshi.policies.domain.rules import elements_used, load_dictionary

BASE = Path(__file__).resolve().parents[3]
CATALOG = BASE / "data" / "catalog"
ON = date(2026, 11, 30)

DICTIONARY = load_dictionary(CATALOG / "data_elements")
DEPARTMENTS = {d["code"] for d in yaml.safe_load((CATALOG / "departments.yaml").read_text("utf-8"))["departments"]}
SEEDS = {p.code: p for p in load_policies(BASE / "data" / "policies", DICTIONARY, departments=DEPARTMENTS)}


def test_at_least_twenty_seed_policies_for_persons_and_enterprises_all_valid():
    assert len(SEEDS) >= 20
    assert {p.target for p in SEEDS.values()} == {"person", "enterprise"}
    assert {p.mode for p in SEEDS.values()} == {"no_application", "prefilled_application"}
    assert {p.level for p in SEEDS.values()} >= {"national", "province", "county"}
    for policy in SEEDS.values():
        assert policy.legal_basis and policy.department in DEPARTMENTS
        assert policy.needs_confirmation and policy.note  # amounts and conditions await the department
    assert sum(p.in_force(ON) for p in SEEDS.values()) == len(SEEDS)


def test_the_policy_data_elements_are_catalog_content_and_every_element_the_seeds_use_is_there():
    files = read_catalog(CATALOG)
    codes = [e["code"] for e in files.data_elements]
    assert len(codes) == len(set(codes))
    towns = [t["name"] for t in files.towns]
    assert DICTIONARY["person.hukou_town"].choices == (*towns, "县外")
    used = set().union(*(elements_used(p.rule) for p in SEEDS.values()))
    assert used <= set(codes)


def person(**values):
    return {f"person.{k}" if "." not in k else k: v for k, v in values.items()}


def born(years, days=0):
    return date(ON.year - years, ON.month, ON.day) + timedelta(days=days)


def result(code, subject, on=ON):
    policy = SEEDS[code]
    return explain(policy.rule, policy.parameters, subject, on).result


def test_elderly_allowance_tiers_by_age_on_the_birthday():
    resident = person(hukou_town="折家坪镇")
    assert result("elderly-allowance-80", {**resident, "person.birth_date": born(80)}) is True
    assert result("elderly-allowance-80", {**resident, "person.birth_date": born(80, days=1)}) is False
    assert result("elderly-allowance-80", {**resident, "person.birth_date": born(90)}) is False
    assert result("elderly-allowance-90", {**resident, "person.birth_date": born(90)}) is True
    assert result("centenarian-allowance", {**resident, "person.birth_date": born(100)}) is True
    assert result("elderly-allowance-80", person(hukou_town="县外", birth_date=born(85))) is False
    decision = explain(SEEDS["elderly-allowance-80"].rule, SEEDS["elderly-allowance-80"].parameters,
                       person(birth_date=born(85)), ON)
    assert decision.result is None and decision.questions == ("您的户籍是否在清涧县？在哪个镇？",)


def test_nursing_allowance_covers_grades_one_and_two_and_grade_three_intellectual_or_mental():
    base = person(disabled=True, hukou_town="宽州镇")
    assert result("severe-disability-nursing-allowance", {**base, "cl.disability_level": "二级"}) is True
    assert result("severe-disability-nursing-allowance",
                  {**base, "cl.disability_level": "三级", "cl.disability_category": "精神残疾"}) is True
    assert result("severe-disability-nursing-allowance",
                  {**base, "cl.disability_level": "三级", "cl.disability_category": "肢体残疾"}) is False
    assert result("severe-disability-nursing-allowance", person(disabled=False)) is False


def test_living_allowance_is_not_paid_twice_to_persons_already_in_extreme_poverty_support():
    base = person(disabled=True, low_income=True, hukou_town="宽州镇")
    assert result("disability-living-allowance", {**base, "person.extremely_poor": False}) is True
    assert result("disability-living-allowance", {**base, "person.extremely_poor": True}) is False


def test_the_vocational_grant_amount_changes_with_the_autumn_2024_term():
    policy = SEEDS["vocational-national-grant"]
    student = person(school_stage="中等职业教育", hukou_type="农业家庭户口", **{"jtj.grade": "一年级"})
    assert result("vocational-national-grant", student) is True
    assert policy.benefit_text(date(2024, 8, 31)) == "每生每年平均2000元"
    assert policy.benefit_text(date(2024, 9, 1)) == "每生每年平均2300元" and policy.amount(ON) == 2300


def test_the_graduation_year_is_a_dated_parameter():
    graduate = person(school_stage="本科", low_income=True, **{"rsj.graduation_date": date(2026, 7, 1)})
    assert result("graduate-job-search-subsidy", graduate) is True
    assert result("graduate-job-search-subsidy", graduate, on=date(2025, 11, 30)) is False


def test_self_employed_veteran_grant_within_twelve_months_of_discharge():
    veteran = person(veteran=True, hukou_town="高杰村镇", **{"tyjrj.placement_mode": "自主就业"})
    assert result("veteran-self-employment-grant", {**veteran, "tyjrj.discharge_date": date(2025, 12, 1)}) is True
    assert result("veteran-self-employment-grant", {**veteran, "tyjrj.discharge_date": date(2025, 11, 30)}) is False


def test_job_retention_refund_for_small_employers_allows_a_twenty_percent_layoff_rate():
    firm = {"enterprise.scale": "小型", "enterprise.unemployment_insurance_months": 14,
            "enterprise.layoff_rate": 12.0, "enterprise.serious_dishonesty": False}
    assert result("job-retention-refund-sme", {**firm, "enterprise.insured_employee_count": 30}) is True
    assert result("job-retention-refund-sme", {**firm, "enterprise.insured_employee_count": 31}) is False
    assert result("job-retention-refund-sme", {**firm, "enterprise.serious_dishonesty": True,
                                               "enterprise.layoff_rate": 0.0}) is False
    assert result("job-retention-refund-large", {**firm, "enterprise.scale": "大型"}) is False


def test_a_broken_seed_is_reported_with_its_file_policy_and_field(tmp_path):
    record = yaml.safe_load((BASE / "data" / "policies" / "elderly.yaml").read_text("utf-8"))["policies"][0]
    record = {**record, "department": "nosuch", "mode": "automatic",
              "rule": {"all": [{**record["rule"]["all"][0], "value": [{"param": "min_age"}, {"param": "max_agee"}]}]}}
    with pytest.raises(PolicyError) as error:
        parse_policy(record, DICTIONARY, departments=DEPARTMENTS, where="elderly.yaml")
    assert error.value.errors == [
        "elderly.yaml elderly-allowance-80: mode：方式须为 no_application（免申即享）或 prefilled_application（即申即享）",
        "elderly.yaml elderly-allowance-80: department：经办部门“nosuch”不在部门目录中",
        "elderly.yaml elderly-allowance-80: rule $.all[0].value[1]：引用了未声明的参数“max_agee”",
    ]


def random_person(rng: random.Random) -> dict:
    """Any combination of values the seeds look at, some missing."""
    subject = {}
    for code in set().union(*(elements_used(p.rule) for p in SEEDS.values() if p.target == "person")):
        element = DICTIONARY[code]
        if rng.random() < 0.15:
            continue
        if element.type == "date":
            subject[code] = ON - timedelta(days=rng.randint(-400, 36500))
        elif element.type == "boolean":
            subject[code] = rng.random() < 0.4
        elif element.type == "enum":
            subject[code] = rng.choice(element.choices)
    return subject


def test_the_seed_wording_has_no_unfilled_placeholders_and_the_batch_agrees_with_the_interpreter():
    rng = random.Random(7)
    people = [random_person(rng) for _ in range(400)]
    persons = [p for p in SEEDS.values() if p.target == "person"]
    for policy in SEEDS.values():
        assert "{" not in policy.benefit_text(ON)
    expected = set()
    for i, subject in enumerate(people):
        for policy in persons:
            decision = explain(policy.rule, policy.parameters, subject, ON)
            assert not any("{" in step.text for step in decision.trace), decision.trace
            if decision.result:
                expected.add((i, policy.code))
    codes = sorted(set().union(*(elements_used(p.rule) for p in persons)))
    frame = profiles_frame([{"subject_id": i, **s} for i, s in enumerate(people)], DICTIONARY, codes)
    matches = evaluate_all(SEEDS.values(), frame, ON, target="person")
    assert set(zip(matches["subject_id"].to_list(), matches["policy_code"].to_list())) == expected
    assert len(expected) > 50
