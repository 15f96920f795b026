from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yijianshi.catalog.excel import ITEMS_SHEET, items_export_workbook
from yijianshi.catalog.models import ServiceItem


class Command(BaseCommand):
    help = "把事项（现行版本）导出为 Excel 工作簿，可编辑后用 import_items_xlsx 导入。"

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, required=True, help="输出文件路径（.xlsx）")
        parser.add_argument("--code", action="append", default=[], help="只导出这些事项编码（可重复）")

    def handle(self, *args, output: Path, code: list[str], **options):
        if output.suffix.lower() != ".xlsx":
            raise CommandError("输出文件须以 .xlsx 结尾。")
        items = ServiceItem.objects.all()
        if code:
            items = items.filter(code__in=code)
            unknown = sorted(set(code) - set(items.values_list("code", flat=True)))
            if unknown:
                raise CommandError(f"没有这些事项：{'、'.join(unknown)}")
        workbook = items_export_workbook(items)
        output.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(output)
        count = workbook[ITEMS_SHEET].max_row - 1
        self.stdout.write(f"已导出 {count} 个事项到 {output}")
