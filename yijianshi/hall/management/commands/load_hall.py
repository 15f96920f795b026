from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yijianshi.hall.datafiles import HallDataError, known_codes, load_hall, read_hall


class Command(BaseCommand):
    requires_system_checks = []
    help = "加载 data/hall/windows.yaml 中的取号业务类别和窗口（幂等；先运行 load_catalog）。"

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=settings.HALL_DATA_DIR / "windows.yaml", help="数据文件")
        parser.add_argument("--check", action="store_true", help="只校验数据文件，不写数据库")

    def handle(self, *args, file: Path, check: bool, **options):
        try:
            data = read_hall(file, known_codes())
        except HallDataError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"数据文件有 {len(exc.errors)} 处错误，未写入任何数据。")
        categories, windows = data.counts
        summary = f"服务网点 {len(data.points)}，业务类别 {categories}，窗口 {windows}"
        if check:
            self.stdout.write(f"数据文件校验通过：{summary}")
            return
        report = load_hall(data)
        self.stdout.write(f"加载完成：{summary}（新增 {report['created']}，更新 {report['updated']}，"
                          f"停用 {report['deactivated']}）")
