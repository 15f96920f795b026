"""The search index, kept in the database: one document per published bundle or item, and its postings."""

from django.db import models


class SearchDocument(models.Model):
    """A searchable thing: a bundle (一件事) or a service item, with what ranking needs besides postings."""

    class Kind(models.TextChoices):
        BUNDLE = "bundle", "一件事"
        ITEM = "item", "事项"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    code = models.CharField("编码", max_length=64)
    number = models.PositiveSmallIntegerField("序号", null=True, blank=True, help_text="仅一件事有序号")
    name = models.CharField("名称", max_length=128)
    # Compact names and aliases, compared whole with the query ('开饭馆' is an alias of the restaurant bundle).
    phrases = models.JSONField("名称与别名", default=list)
    length = models.FloatField("加权长度", help_text="各字段加权后的词数，用于 BM25 长度归一化")

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = "搜索文档"
        verbose_name_plural = "搜索文档"
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="search_document_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code} {self.name}"


class SearchPosting(models.Model):
    """One term of one document with its field-weighted frequency; looked up by term at query time."""

    term = models.CharField("词", max_length=64)
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="postings")
    frequency = models.FloatField("加权词频")

    class Meta:
        verbose_name = "倒排记录"
        verbose_name_plural = "倒排记录"
        indexes = [models.Index(fields=["term"], name="search_posting_term")]
        constraints = [models.UniqueConstraint(fields=["term", "document"], name="search_posting_unique")]

    def __str__(self):
        return f"{self.term} → {self.document.code}"


class SearchIndexState(models.Model):
    """The single row describing the current index: corpus statistics and what it was built from."""

    fingerprint = models.CharField("来源指纹", max_length=64, help_text="目录内容和词典的摘要；不变则无需重建")
    document_count = models.PositiveIntegerField("文档数")
    average_length = models.FloatField("平均加权长度")
    built_at = models.DateTimeField("建立时间")

    class Meta:
        verbose_name = "搜索索引状态"
        verbose_name_plural = "搜索索引状态"

    def __str__(self):
        return f"搜索索引（{self.document_count} 篇，{self.built_at:%Y-%m-%d %H:%M}）"
