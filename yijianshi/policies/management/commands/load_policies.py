from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yijianshi.policies import services


class Command(BaseCommand):
    help = "把 data/policies/ 的政策加载为已发布版本（幂等；规则有变化的发布新版本）；--check 只校验。"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.DATA_DIR / "policies")
        parser.add_argument("--check", action="store_true", help="只校验数据文件，不写数据库")

    def handle(self, *args, dir: Path, check: bool, **options):
        try:
            if check:
                records = services.read_directory(dir)
                self.stdout.write(f"政策数据校验通过：{len(records)} 项政策")
                return
            report = services.policies_load(dir)
        except services.PolicyInvalid as exc:
            raise CommandError("政策数据有错误：\n" + "\n".join(exc.errors)) from None
        self.stdout.write(f"新增政策 {len(report.created)} 项，发布新版本 {len(report.new_versions)} 项"
                          f"{'（' + '、'.join(report.new_versions) + '）' if report.new_versions else ''}，"
                          f"未变化 {report.unchanged} 项")
