from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yijianshi.catalog.excel import items_import_workbook


class Command(BaseCommand):
    help = "从 Excel 工作簿导入事项：逐行校验，有任何错误则不导入；有变化的事项发布为新版本。"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Excel 工作簿（.xlsx），格式同 export_items_xlsx 导出的文件")
        parser.add_argument("--check", action="store_true", help="只校验，不写数据库")

    def handle(self, *args, path: Path, check: bool, **options):
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        result = items_import_workbook(path, dry_run=check)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"工作簿有 {len(result.errors)} 处错误，未导入任何内容。")
        for label, codes in (("新增", result.created), ("更新", result.updated)):
            if codes:
                self.stdout.write(f"{label}：{'、'.join(codes)}")
        prefix = "校验通过（未写入）" if check else "导入完成"
        self.stdout.write(f"{prefix}：{result.summary()}")
