import getpass

from django.core.management.base import BaseCommand, CommandError

from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput, system_admin_bootstrap


class Command(BaseCommand):
    help = "初始化第一个系统管理员（已有系统管理员时拒绝）。密码从终端读取，不出现在命令行里。"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", required=True, help="姓名")
        parser.add_argument("--id-number", required=True, help="身份证号码")
        parser.add_argument("--mobile", required=True, help="手机号码")

    def handle(self, *args, username, name, id_number, mobile, **options):
        password = getpass.getpass("密码：")
        if password != getpass.getpass("再次输入密码："):
            raise CommandError("两次输入的密码不一致")
        try:
            admin = system_admin_bootstrap(username=username, name=name, id_number=id_number, mobile=mobile,
                                           password=password)
        except (InvalidInput, NotAllowed) as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"已创建系统管理员 {admin.username}"))
