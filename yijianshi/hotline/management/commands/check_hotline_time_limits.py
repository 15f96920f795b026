"""Check data/hotline/time_limits.yaml and list the time limit of every ticket kind and urgency."""

from django.core.management.base import BaseCommand, CommandError

from yijianshi.hotline import time_limits


class Command(BaseCommand):
    help = "校验 12345 工单时限配置（data/hotline/time_limits.yaml）并列出各类型、紧急程度的时限"

    def add_arguments(self, parser):
        parser.add_argument("--file", help="要校验的文件（默认为当前生效的配置文件）")

    def handle(self, *args, file=None, **options):
        from pathlib import Path

        target = Path(file) if file else time_limits.path()
        try:
            limits = time_limits.load(target)
        except time_limits.TimeLimitError as exc:
            raise CommandError(str(exc)) from None
        for kind, urgency, text in limits.table():
            self.stdout.write(f"{kind}\t{urgency}\t{text}")
        self.stdout.write(f"延期\t一次\t最多 {limits.max_extension_days} 个工作日（主办单位负责人批准）")
        self.stdout.write(self.style.SUCCESS(f"{target.name}：校验通过"))
