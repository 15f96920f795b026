from django.core.management.base import BaseCommand

from yijianshi.audit.services import checkpoint_create


class Command(BaseCommand):
    help = "对当前审计链头签名（Ed25519），生成检查点。定时任务每 15 分钟执行一次。"

    def handle(self, *args, **options):
        checkpoint = checkpoint_create()
        if checkpoint is None:
            self.stdout.write("自上个检查点以来没有新事件。")
        else:
            self.stdout.write(f"已签名检查点：第 {checkpoint.seq} 号事件，哈希 {checkpoint.head_hash[:16]}…")
