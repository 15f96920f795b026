from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yijianshi.certificates.crypto import signers
from yijianshi.certificates.keys import key_dir, seal_key_create
from yijianshi.certificates.models import SealKey
from yijianshi.organizations.models import Department


class Command(BaseCommand):
    help = ("生成或轮换部门的电子印章密钥（私钥写入 SEAL_KEY_DIR，权限 0600；公钥登记在数据库）。"
            "轮换后旧密钥停用但保留公钥，已签发的证照仍可核验。")

    def add_arguments(self, parser):
        parser.add_argument("--department", help="部门编码，如 spj")
        parser.add_argument("--algorithm", choices=signers.ALGORITHMS, default="SM2", help="签名算法（默认 SM2）")
        parser.add_argument("--rotate", action="store_true", help="已有在用密钥时生成新密钥并停用旧密钥")
        parser.add_argument("--list", action="store_true", help="列出全部密钥及状态")

    def handle(self, *args, department=None, algorithm="SM2", rotate=False, list=False, **options):
        if list:
            for key in SealKey.objects.select_related("department").order_by("department__code", "-created_at"):
                private = "私钥文件在" if (key_dir() / f"{key.key_id}.json").exists() else "无私钥文件"
                retired = f"，停用于 {timezone.localtime(key.retired_at):%Y-%m-%d %H:%M}" if key.retired_at else ""
                self.stdout.write(f"{key.key_id}\t{key.department.name}\t{key.algorithm}\t"
                                  f"{key.get_status_display()}（生成于 {timezone.localtime(key.created_at):%Y-%m-%d %H:%M}{retired}，{private}）")
            return
        if not department:
            raise CommandError("请用 --department 指定部门编码（或用 --list 查看已有密钥）")
        unit = Department.objects.filter(code=department).first()
        if unit is None:
            raise CommandError(f"没有编码为 {department} 的部门")
        current = SealKey.objects.filter(department=unit, algorithm=algorithm, status=SealKey.Status.ACTIVE).first()
        if current is not None and not rotate:
            raise CommandError(f"{unit.name}已有在用的 {algorithm} 密钥 {current.key_id}；如需更换请加 --rotate")
        try:
            key = seal_key_create(department=unit, algorithm=algorithm)
        except signers.UnknownAlgorithm as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"已生成 {unit.name} 的 {algorithm} 电子印章密钥 {key.key_id}，私钥文件："
                          f"{key_dir() / (key.key_id + '.json')}")
        if current is not None:
            self.stdout.write(f"原密钥 {current.key_id} 已停用（公钥保留，用于核验已签发的证照；私钥文件已删除）")
