from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import F

from yijianshi.catalog.models import DataElement, ItemFormField, Material, ServiceItem
from yijianshi.certificates.datafiles import CertificateDataError, read_certificate_data
from yijianshi.certificates.services import certificate_types_load
from yijianshi.organizations.models import Department


class Command(BaseCommand):
    requires_system_checks = []
    help = "加载 data/certificates/ 下的发证机关和电子证照类型（幂等；须先加载事项库 load_catalog）。"

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.DATA_DIR / "certificates", help="数据目录")
        parser.add_argument("--check", action="store_true", help="只校验数据文件，不写数据库")

    def handle(self, *args, dir: Path, check: bool, **options):
        items = {item.code: {} for item in ServiceItem.objects.all()}
        if not items:
            raise CommandError("事项库为空：请先运行 manage.py load_catalog")
        results = {}
        for item in ServiceItem.objects.select_related("published_version"):
            results[item.code] = item.published_version.result_name if item.published_version else ""
        published_fields = ItemFormField.objects.filter(version__item__published_version=F("version"))
        for code, element, required in published_fields.values_list("version__item__code", "data_element__code",
                                                                    "required"):
            items[code][element] = required
        try:
            data = read_certificate_data(
                dir, departments=set(Department.objects.values_list("code", flat=True)),
                elements=set(DataElement.objects.values_list("code", flat=True)), items=items, item_results=results,
                material_certificate_types=set(Material.objects.exclude(certificate_type="").values_list(
                    "certificate_type", flat=True)))
        except CertificateDataError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"数据文件有 {len(exc.errors)} 处错误，未写入任何数据。")
        summary = f"发证机关 {len(data.issuers)}，证照类型 {len(data.types)}"
        if check:
            self.stdout.write(f"数据文件校验通过：{summary}")
            return
        report = certificate_types_load(data)
        labels = {"created": "新增", "updated": "更新", "removed": "删除", "kept": "保留（已有证照，文件中已无）"}
        for outcome, label in labels.items():
            if report[outcome]:
                self.stdout.write(f"{label}：{'、'.join(report[outcome])}")
        changed = report["created"] or report["updated"] or report["removed"]
        self.stdout.write(f"加载完成：{summary}" + ("" if changed else "（没有变化）"))

