from django.core.management.base import BaseCommand

from yijianshi.privacy.services import personal_data_reencrypt


class Command(BaseCommand):
    help = "密钥轮换后，用当前密钥（PII_ACTIVE_KEY_ID）重新加密所有个人信息。可中断后重跑。"

    def handle(self, *args, **options):
        for label, count in personal_data_reencrypt().items():
            self.stdout.write(f"{label}：重新加密 {count} 条")
