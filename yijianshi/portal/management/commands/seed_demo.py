"""Demo accounts for a local run (data/demo/accounts.yaml). Refuses to run outside DEBUG unless forced, so
production never gets them. Everything is created through the services, so the audit chain records it."""

import os

import yaml
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from yijianshi.accounts.models import Enterprise, Mandate, Person, User
from yijianshi.accounts.services import (
    GrantSpec,
    enterprise_register,
    resident_sign_up,
    staff_account_create,
    system_admin_bootstrap,
)
from yijianshi.organizations.models import Department, ServicePoint

CATALOG_ADMIN_GROUP = "事项库管理员"


class Command(BaseCommand):
    help = "创建演示账号（仅限开发环境），并打印登录信息。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="在非 DEBUG 环境下也创建（慎用）")

    @transaction.atomic
    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("演示账号只在开发环境创建；生产环境请用 create_system_admin。")
        password = os.environ.get("DEMO_PASSWORD", "Qingjian-demo-2026")
        data = yaml.safe_load((settings.DATA_DIR / "demo" / "accounts.yaml").read_text(encoding="utf-8"))
        group, _ = Group.objects.get_or_create(name=CATALOG_ADMIN_GROUP)
        group.permissions.set(Permission.objects.filter(content_type__app_label__in=["catalog", "organizations"]))

        admin = User.objects.filter(username="admin").first()
        lines = []
        for row in data["staff"]:
            grants = [GrantSpec(g["role"], self._department(g.get("department")), self._point(g.get("service_point")))
                      for g in row["roles"]]
            if not User.objects.filter(username=row["username"]).exists():
                common = dict(username=row["username"], name=row["name"], id_number=row["id_number"],
                              mobile=row["mobile"], password=password)
                if row.get("superuser"):
                    admin = system_admin_bootstrap(**common)
                else:
                    staff_account_create(user=admin, grants=grants, **common)
            lines.append(f"  {row['username']:<11} {'、'.join(g.role for g in grants)}")
        self.stdout.write("工作人员（登录 http://127.0.0.1:8000/accounts/login/ ，管理后台 /admin/）：")
        self.stdout.write("\n".join(lines))

        self.stdout.write("群众与企业（用身份证号码或手机号登录）：")
        for row in data["residents"]:
            person = Person.objects.filter(user__isnull=False, name=row["name"]).first()
            user = person.user if person else resident_sign_up(
                name=row["name"], id_number=row["id_number"], mobile=row["mobile"], password=password)
            company = row.get("enterprise")
            if company and not Enterprise.objects.filter(credit_code=company["credit_code"]).exists():
                enterprise_register(user=user, name=company["name"], credit_code=company["credit_code"],
                                    representative_name=row["name"], representative_id_number=row["id_number"])
            extra = f"，企业 {company['name']} 的法定代表人" if company else ""
            self.stdout.write(f"  {row['name']}：{row['id_number']} 或 {row['mobile']}{extra}")
        self._demo_profiles()
        self._demo_cases()
        self._demo_certificates()
        self._demo_hall()
        from yijianshi.policies.demo import seed as seed_policies

        seed_policies(self.stdout)
        self.stdout.write(f"演示密码（全部账号）：{password}")
        self.stdout.write(f"授权代办示例：请以 张桂兰 登录，在“我的授权”中授权帮办员 周丽。当前有效授权 "
                          f"{Mandate.objects.filter(status='active', valid_until__gt=timezone.now()).count()} 条。")

    def _demo_profiles(self):
        """The sharing catalogue, and a few departments' feeds (data/demo/profile_feeds/<department>.csv) giving the
        demo residents and the enterprise their 一人一档 / 一企一档; 张小军 is recorded as 张桂兰's son. Feeds are
        recognised by content, so running this again adds nothing."""
        from django.core.management import call_command

        from yijianshi.profiles.services import feed_import, relation_record

        call_command("load_sharing_catalogue", stdout=open(os.devnull, "w"))
        for path in sorted((settings.DATA_DIR / "demo" / "profile_feeds").glob("*.csv")):
            run = feed_import(department=path.stem, file_name=path.name, content=path.read_bytes())
            if run.rows_invalid or run.problem:
                raise CommandError(f"演示档案数据 {path.name} 有错误：{run.problem or run.errors[:3]}")
            self.stdout.write(f"  档案数据 {path.name}：{run.get_status_display()}，新增记录 {run.facts_created} 条")
        mother = Person.objects.get(name="张桂兰", user__isnull=False)
        son = Person.objects.get(name="张小军", user__isnull=False)
        relation_record(person=mother, relative=son, kind="child", source_department="gaj", source="registration",
                        evidence="居民户口簿")

    def _demo_cases(self):
        """Two applications so the window and the 县人社局 queue have work: 张桂兰's 新生儿出生 waiting for
        pre-review, and 张小军's 灵活就业 accepted with 县人社局's tasks ready."""
        from yijianshi.accounts.services import acting_context
        from yijianshi.cases.demo import sample_submission
        from yijianshi.cases.models import Case
        from yijianshi.cases.services import case_accept, case_submit

        if Case.objects.filter(idempotency_key__startswith="demo-").exists():
            return
        clerk = User.objects.get(username="clerk")
        for name, bundle, accept in (("张桂兰", "newborn", False), ("张小军", "flexible-employment", True)):
            user = Person.objects.get(name=name, user__isnull=False).user
            case, _ = case_submit(context=acting_context(user), idempotency_key=f"demo-{bundle}",
                                  submission=sample_submission(bundle, owner=user))
            if accept:
                case_accept(user=clerk, case=case)
            self.stdout.write(f"  演示办件 {case.number}：{name}“{case.bundle.name}”"
                              f"{'已受理，县人社局待办' if accept else '待窗口预审'}")

    def _demo_certificates(self):
        """The certificate types, and two certificates so 我的证照 and the verification page have something to show:
        the demo enterprise's 营业执照 and 张小军's 就业创业证 (县人社局's demo leader may suspend or revoke it)."""
        from django.core.management import call_command

        from yijianshi.certificates.models import Certificate
        from yijianshi.certificates.services import certificate_issue

        call_command("load_certificate_types", stdout=self.stdout)
        enterprise = Enterprise.objects.get(credit_code="91610830MA7QJ0001J")
        worker = Person.objects.get(name="张小军", user__isnull=False)
        demo = [
            ("business-licence", enterprise, {
                "name": enterprise.name, "credit_code": enterprise.credit_code, "type": "有限责任公司",
                "legal_representative": enterprise.legal_representative.name, "registered_capital": "100",
                "address": "陕西省榆林市清涧县宽州镇红枣产业园3号", "business_scope": "红枣制品生产、销售；农副产品收购"}),
            ("employment-card", worker, {
                "name": worker.name, "id_number": worker.id_number, "education": "高中",
                "address": "陕西省榆林市清涧县宽州镇秀延东路18号"}),
        ]
        for type_code, holder, data in demo:
            certificate = Certificate.objects.filter(type__code=type_code, holder=holder).first()
            if certificate is None:
                certificate = certificate_issue(type_code=type_code, holder=holder, data=data)
            self.stdout.write(f"  演示证照：{holder.masked_display_name} 的{certificate.type.name}，"
                              f"核验：/certificates/verify/?q={certificate.identifier}")

    def _demo_hall(self):
        """The hall's windows, and today's queue: 张桂兰 (86, green channel) at 综合受理, a walk-in at 社保, a help
        request at 宽州镇 for the helper; the clerk has called the first number at A01."""
        from django.core.management import call_command

        from yijianshi.hall.models import QueueTicket, Window
        from yijianshi.hall.services import call_next, ticket_take

        call_command("load_hall", stdout=self.stdout)
        if QueueTicket.objects.filter(day=timezone.localdate()).exists():
            return
        hall = ServicePoint.objects.get(code="county-hall")
        town = ServicePoint.objects.get(code="town-610830100")
        elder = Person.objects.get(name="张桂兰", user__isnull=False).user
        ticket_take(service_point=hall, category_code="general", user=elder)
        ticket_take(service_point=hall, category_code="general")
        ticket_take(service_point=hall, category_code="social", mobile="13700000001")
        ticket_take(service_point=hall, category_code="police", declared_priority="pregnant")
        ticket_take(service_point=town, category_code="social", needs_help=True)
        called = call_next(user=User.objects.get(username="clerk"),
                           window=Window.objects.get(service_point=hall, number="A01"))
        self.stdout.write(f"  大厅取号：县政务服务中心 {QueueTicket.objects.filter(service_point=hall).count()} 个号码，"
                          f"A01 窗口已叫 {called.number}；叫号屏 /hall/county-hall/screen/ ，取号 /hall/county-hall/take/")

    @staticmethod
    def _department(code):
        return Department.objects.get(code=code).pk if code else None

    @staticmethod
    def _point(code):
        return ServicePoint.objects.get(code=code).pk if code else None
