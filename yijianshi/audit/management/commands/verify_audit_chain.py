from django.core.management.base import BaseCommand, CommandError

from yijianshi.audit.services import verification_run


class Command(BaseCommand):
    help = "校验审计链：逐条核对哈希链、链头和已签名的检查点，指出第一处断裂。"

    def handle(self, *args, **options):
        result = verification_run()
        self.stdout.write(f"已校验事件 {result.events_checked} 条，检查点 {result.checkpoints_checked} 个。")
        if result.ok:
            self.stdout.write(self.style.SUCCESS("审计链完整。"))
            return
        if result.broken_seq is not None or result.broken_reason:
            self.stderr.write(f"审计链断裂：第 {result.broken_seq} 号事件：{result.broken_reason}")
        for problem in result.problems:
            self.stderr.write(problem)
        raise CommandError("审计链校验未通过")
