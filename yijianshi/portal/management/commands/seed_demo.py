"""Demo accounts for a local run. Refuses to run outside DEBUG unless forced, so production never gets them."""

import os

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

CATALOG_ADMIN_GROUP = "事项库管理员"
# Demo logins; the password can be overridden with DEMO_PASSWORD.
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", True),
    ("catalog", "事项库管理员（县审批局）", False),
]


class Command(BaseCommand):
    help = "创建演示账号（仅限开发环境），并打印登录信息。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="在非 DEBUG 环境下也创建（慎用）")

    @transaction.atomic
    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("演示账号只在开发环境创建；生产环境请用 createsuperuser。")
        password = os.environ.get("DEMO_PASSWORD", "Qingjian-demo-2026")
        group, _ = Group.objects.get_or_create(name=CATALOG_ADMIN_GROUP)
        group.permissions.set(Permission.objects.filter(content_type__app_label__in=["catalog", "organizations"]))
        for username, full_name, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = full_name
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(password)
            user.save()
            if not superuser:
                user.groups.add(group)
        self.stdout.write("演示账号（管理后台 http://127.0.0.1:8000/admin/）：")
        for username, full_name, _ in DEMO_ACCOUNTS:
            self.stdout.write(f"  {full_name}：用户名 {username}  密码 {password}")
