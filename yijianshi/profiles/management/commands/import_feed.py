from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yijianshi.accounts.models import User
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.profiles.models import FeedRun
from yijianshi.profiles.services import feed_apply, feed_import


class Command(BaseCommand):
    help = ("导入部门共享数据文件（CSV 或 JSON，格式见“数据共享导入”页面）。有错误行时不导入任何数据，"
            "除非指定 --apply-valid-only；同一部门重复提交相同内容不会重复导入。")

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="提供数据的部门编码，如 rsj")
        parser.add_argument("--file", required=True, type=Path, help="数据文件路径")
        parser.add_argument("--format", choices=["csv", "json"], default="", help="默认按扩展名判断")
        parser.add_argument("--apply-valid-only", action="store_true", help="有错误行时仍导入其余有效行")
        parser.add_argument("--user", default="",
                            help="以该账号（须为该部门经办人员或对接系统）的名义导入；不指定则记为“系统”")

    def handle(self, *args, department, file: Path, format, apply_valid_only, user, **options):
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {file}：{exc.strerror}")
        common = dict(department=department, file_name=file.name, content=content, format=format,
                      apply_valid_only=apply_valid_only)
        try:
            if user:
                account = User.objects.filter(username=user, is_active=True).first()
                if account is None:
                    raise CommandError(f"账号 {user} 不存在或已停用")
                run = feed_apply(user=account, **common)
            else:
                run = feed_import(**common)
        except (InvalidInput, NotAllowed) as exc:
            raise CommandError(exc.message)
        if run.status == FeedRun.Status.QUEUED:
            self.stdout.write(f"批次 {run.pk}：文件较大，已排队由后台任务处理（run_huey）。")
            return
        self.stdout.write(f"批次 {run.pk}：{run.get_status_display()}。数据行 {run.rows_total}，错误行 {run.rows_invalid}，"
                          f"新增记录 {run.facts_created}，未变化 {run.facts_unchanged}，新建人员 {run.persons_created}。")
        if run.problem:
            self.stdout.write(run.problem)
        for error in run.errors[:50]:
            self.stdout.write(f"  第 {error['line']} 行 {error['subject']} {error['element']}：{error['message']}")
        if run.rows_invalid > 50:
            self.stdout.write(f"  ……共 {run.rows_invalid} 行有错误，完整清单见“数据共享导入”页面。")
        if run.status in (FeedRun.Status.REJECTED, FeedRun.Status.FAILED):
            raise CommandError("未导入任何数据。")
