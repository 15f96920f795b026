"""Fixtures shared by the case tests: uploads in a temporary folder, a window clerk, officers per department."""

import pytest


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", "window_clerk", service_point="county-hall")


@pytest.fixture
def officers(make_staff):
    """officers("wjj") -> the department's officer, made on first use."""
    made = {}

    def officer(department_code):
        if department_code not in made:
            made[department_code] = make_staff(f"officer-{department_code}", "department_officer",
                                               department=department_code)
        return made[department_code]

    return officer
