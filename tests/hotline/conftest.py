"""Fixtures shared by the hotline tests."""

import pytest


@pytest.fixture(autouse=True)
def dispatch_model(settings, tmp_path):
    # The classifier trains on first use and saves its model; keep that out of the project's var/.
    settings.HOTLINE_MODEL_PATH = tmp_path / "dispatch-model.joblib"


@pytest.fixture
def staff(make_staff):
    """An operator, a supervisor, 县住建局's officer and leader, and 国网清涧供电公司's officer."""
    return {
        "operator": make_staff("operator", "hotline_operator"),
        "supervisor": make_staff("supervisor", "supervisor"),
        "zjj": make_staff("zjj-officer", "department_officer", department="zjj"),
        "zjj_leader": make_staff("zjj-leader", "department_leader", department="zjj"),
        "gdgs": make_staff("gdgs-officer", "department_officer", department="gdgs"),
    }
