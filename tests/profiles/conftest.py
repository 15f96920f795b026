"""Fixtures of the profile tests: the sharing catalogue loaded, and officers of the departments that feed and read."""

import pytest
from django.core.management import call_command


@pytest.fixture
def sharing(db):
    """data/sharing/ loaded (the catalog itself is loaded once per session by tests/conftest.py)."""
    call_command("load_sharing_catalogue", stdout=open("/dev/null", "w"))


@pytest.fixture
def officers(make_staff, sharing):
    """Department officers of 县人社局, 县残联, 县公安局, 县民政局 and 县审批局, and 县人社局's leader."""
    return {
        "rsj": make_staff("rsj-officer", "department_officer", department="rsj"),
        "rsj_leader": make_staff("rsj-leader", "department_leader", department="rsj"),
        "cl": make_staff("cl-officer", "department_officer", department="cl"),
        "gaj": make_staff("gaj-officer", "department_officer", department="gaj"),
        "mzj": make_staff("mzj-officer", "department_officer", department="mzj"),
        "spj": make_staff("spj-officer", "department_officer", department="spj"),
    }


def csv_bytes(*rows, header="subject,name,element,value,effective_date", encoding="utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)
