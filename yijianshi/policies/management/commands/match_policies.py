from datetime import date

from django.core.management.base import BaseCommand, CommandError

from yijianshi.policies import services


class Command(BaseCommand):
    help = "按已发布政策批量匹配（免申即享 / 即申即享），记录新的匹配并通知；重复运行不会重复匹配或通知。"

    def add_arguments(self, parser):
        parser.add_argument("--on", help="评估日期（默认今天），如 2026-12-01")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, on=None, no_progress=False, **options):
        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            raise CommandError("--on：日期格式应为 2026-12-01") from None
        report = services.match_run(on=day, trigger="command",
                                    progress=None if no_progress else self._bar)
        if not no_progress and report.found:
            self.stdout.write("")
        run = report.run
        self.stdout.write(f"评估日期 {run.on}：政策 {run.policies} 项，主体 {run.subjects} 个，"
                          f"新匹配 {report.found} 条，已记录并通知 {report.created} 条")

    def _bar(self, done: int, total: int) -> None:
        width = 40
        filled = width * done // total if total else width
        self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        self.stdout.flush()
