from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yijianshi.accounts.services import InvalidInput
from yijianshi.catalog.models import DataElement
from yijianshi.organizations.models import Department
from yijianshi.profiles.datafiles import SharingDataError, read_sharing_files
from yijianshi.profiles.services import sharing_catalogue_load


class Command(BaseCommand):
    help = ("加载 data/sharing/ 下的档案数据项（profile_elements.yaml）和共享责任清单（catalogue.yaml）。"
            "先校验，有错误则不写入；幂等。需先加载事项库（load_catalog）。")

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.DATA_DIR / "sharing", help="数据目录")
        parser.add_argument("--check", action="store_true", help="只校验数据文件，不写数据库")

    def handle(self, *args, dir: Path, check: bool, **options):
        departments = set(Department.objects.values_list("code", flat=True))
        elements = set(DataElement.objects.values_list("code", flat=True))
        if not departments or not elements:
            raise CommandError("数据库中还没有部门和数据元，请先运行 load_catalog。")
        try:
            files = read_sharing_files(dir, departments=departments, elements=elements)
        except SharingDataError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"共享数据文件有 {len(exc.errors)} 处错误，未写入任何数据。")
        summary = f"档案数据项 {len(files.profile_elements)}，共享责任清单条目 {len(files.entries)}"
        if check:
            self.stdout.write(f"数据文件校验通过：{summary}")
            return
        try:
            report = sharing_catalogue_load(files)
        except InvalidInput as exc:
            raise CommandError(f"{exc.message}（未写入任何数据）")
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(f"加载完成：{summary}" + ("" if report.changed else "（没有变化）"))
