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


@pytest.fixture
def outsider(make_staff):
    """县水利局's officer: neither lead nor co-handler of the tickets in these tests."""
    return make_staff("slj-officer", "department_officer", department="slj")


@pytest.fixture
def replied(staff):
    """A ticket 县住建局 handled and answered, for the rating tests: make(**intake overrides) -> Ticket."""
    from yijianshi.hotline import services

    def make(**overrides):
        data = dict(channel="phone", kind="complaint", caller_name="张桂兰", caller_mobile="13800000001",
                    content="宽州镇秀延路小区连续三天停暖，家里老人受冻，请尽快处理", town_code="610830100")
        ticket = services.ticket_intake(user=staff["operator"], **(data | overrides))
        ticket = services.ticket_dispatch(user=staff["operator"], ticket=ticket, department_code="zjj")
        services.ticket_accept(user=staff["zjj"], ticket=ticket)
        return services.ticket_reply(user=staff["zjj"], ticket=ticket, reply="已联系供热公司更换循环泵，当晚恢复供暖")

    return make
