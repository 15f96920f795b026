"""Demo data of 免申即享 / 即申即享, called by seed_demo: the seed policies published, facts from the authoritative
departments that make policies match 张桂兰, 张小军 and the demo enterprise (with reasons), officers of the departments
that pay them, and the batch run. Idempotent: facts equal to the profile's record nothing, the batch matches nobody
twice."""

from __future__ import annotations

from django.conf import settings

from yijianshi.accounts.models import Enterprise, Person, User
from yijianshi.policies import services

# (department, values) per subject; each department records only what it is the source of (一数一源).
RESIDENT_FACTS = [
    ("gaj", {"person.hukou_town": "宽州镇"}),
    ("cl", {"person.disabled": True}),
    ("mzj", {"person.low_income": True, "person.extremely_poor": False}),
]
WORKER_FACTS = [
    ("gaj", {"person.hukou_town": "宽州镇"}),
    ("rsj", {"person.employment_status": "灵活就业", "person.hard_to_employ": True}),
]
ENTERPRISE_FACTS = [
    ("spj", {"enterprise.scale": "小型", "enterprise.serious_dishonesty": False}),
    ("jysy", {"enterprise.unemployment_insurance_months": 26, "enterprise.layoff_rate": 2.5}),
    ("rsj", {"enterprise.insured_employee_count": 18}),
]
# Officers of the departments paying the demo's matches (县人社局's officer comes with the accounts).
OFFICERS = [("officer-mzj", "吴芳", "mzj", "610830198604040022", "13991000001"),
            ("officer-jysy", "高峰", "jysy", "610830198712120038", "13991000002"),
            ("officer-swj", "冯涛", "swj", "610830198905050048", "13991000003")]


def seed(stdout) -> None:
    from yijianshi.accounts.services import GrantSpec, staff_account_create
    from yijianshi.organizations.models import Department
    from yijianshi.profiles.services import profile_record_many

    report = services.policies_load(settings.DATA_DIR / "policies")
    stdout.write(f"  政策：新增 {len(report.created)} 项，新版本 {len(report.new_versions)} 项，未变化 {report.unchanged} 项")
    resident = Person.objects.get(name="张桂兰", user__isnull=False)
    worker = Person.objects.get(name="张小军", user__isnull=False)
    enterprise = Enterprise.objects.get(credit_code="91610830MA7QJ0001J")
    for party, facts in ((resident, RESIDENT_FACTS), (worker, WORKER_FACTS), (enterprise, ENTERPRISE_FACTS)):
        for department, values in facts:
            profile_record_many(party=party, values=values, source_department=department, source="feed",
                                evidence="演示数据")
    admin = User.objects.get(username="admin")
    for username, name, department, id_number, mobile in OFFICERS:
        if not User.objects.filter(username=username).exists():
            staff_account_create(user=admin, username=username, name=name, id_number=id_number,
                                 mobile=mobile, password=_password(),
                                 grants=[GrantSpec("department_officer", Department.objects.get(code=department).pk,
                                                   None)])
    run = services.match_run(trigger="demo").run
    stdout.write(f"  政策匹配：新匹配 {run.matches_created} 条；以 张桂兰、张小军 或 马丽（企业）登录查看 /me/policies/ ，"
                 f"经办：{'、'.join(u for u, *_ in OFFICERS)} 及 officer（县人社局）查看 /policies/grants/")


def _password() -> str:
    import os

    return os.environ.get("DEMO_PASSWORD", "Qingjian-demo-2026")
