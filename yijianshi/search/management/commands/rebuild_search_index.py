from django.core.management.base import BaseCommand

from yijianshi.search.services import search_index_rebuild


class Command(BaseCommand):
    help = "根据已发布的一件事和事项重建搜索索引（目录变更时会自动重建，此命令用于手动修复或修改词典后）。"

    def add_arguments(self, parser):
        parser.add_argument("--if-stale", action="store_true", help="目录和词典都没有变化时不重建")

    def handle(self, *args, if_stale: bool, **options):
        report = search_index_rebuild(force=not if_stale)
        if report.rebuilt:
            self.stdout.write(f"搜索索引已重建：文档 {report.documents} 篇，倒排记录 {report.postings} 条")
        else:
            self.stdout.write(f"搜索索引已是最新（文档 {report.documents} 篇），未重建")
