from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yijianshi.catalog.datafiles import CatalogDataError, read_catalog
from yijianshi.catalog.services import DraftInProgressError, catalog_load


class Command(BaseCommand):
    # Data work needs no URL or admin checks; this also keeps it usable while other apps are mid-change.
    requires_system_checks = []
    help = "加载 data/catalog/ 下的事项库数据文件（幂等），并报告新增、更新和未变的记录。"

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.CATALOG_DATA_DIR, help="数据目录")
        parser.add_argument("--check", action="store_true", help="只校验数据文件，不写数据库")
        parser.add_argument("--verbose-report", action="store_true", help="列出未变化的记录")

    def handle(self, *args, dir: Path, check: bool, verbose_report: bool, **options):
        try:
            files = read_catalog(dir)
        except CatalogDataError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"数据文件有 {len(exc.errors)} 处错误，未写入任何数据。")
        summary = (f"部门 {len(files.departments)}，镇 {len(files.towns)}，数据元 {len(files.data_elements)}，"
                   f"材料 {len(files.materials)}，事项 {len(files.items)}，一件事 {len(files.bundles)}")
        if check:
            self.stdout.write(f"数据文件校验通过：{summary}")
            return
        try:
            report = catalog_load(files)
        except DraftInProgressError as exc:
            raise CommandError(f"{exc}（未写入任何数据）")
        for line in report.lines(verbose=verbose_report):
            self.stdout.write(line)
        self.stdout.write(f"加载完成：{summary}" + ("" if report.changed else "（没有变化）"))
