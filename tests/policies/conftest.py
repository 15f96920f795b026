"""Fixtures of the policy app's tests: the sharing catalogue and the seed policies loaded, and the facts that make
policies match the resident (张桂兰, 86) and the enterprise, recorded by their authoritative departments."""

import pytest
from django.conf import settings
from django.core.management import call_command

from yijianshi.profiles.services import profile_record_many

RESIDENT_FACTS = [("gaj", {"person.hukou_town": "宽州镇"}), ("cl", {"person.disabled": True}),
                  ("mzj", {"person.low_income": True, "person.extremely_poor": False})]
ENTERPRISE_FACTS = [("spj", {"enterprise.scale": "小型", "enterprise.serious_dishonesty": False}),
                    ("jysy", {"enterprise.unemployment_insurance_months": 26, "enterprise.layoff_rate": 2.5}),
                    ("swj", {"enterprise.taxpayer_type": "小规模纳税人"})]


def record(party, facts):
    for department, values in facts:
        profile_record_many(party=party, values=values, source_department=department, source="feed")


@pytest.fixture
def policies(db):
    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))
    call_command("load_policies", stdout=open("/dev/null", "w"))
    return settings.DATA_DIR / "policies"


@pytest.fixture
def eligible_resident(resident, policies):
    record(resident.person, RESIDENT_FACTS)
    return resident


@pytest.fixture
def eligible_enterprise(representative, policies):
    record(representative.enterprise, ENTERPRISE_FACTS)
    return representative


@pytest.fixture
def mzj_officer(make_staff):
    return make_staff("mzj-officer", "department_officer", department="mzj")


@pytest.fixture
def rsj_officer(make_staff):
    return make_staff("rsj-officer", "department_officer", department="rsj")
