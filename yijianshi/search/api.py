"""Search API: GET /api/v1/search?q=...&limit=... (mounted by the project's NinjaAPI)."""

from typing import Literal

from ninja import Query, Router, Schema

from yijianshi.search.selectors import MAX_LIMIT, search

router = Router(tags=["搜索"])

MAX_QUERY_LENGTH = 100


class SearchHitOut(Schema):
    kind: Literal["bundle", "item"]
    code: str
    number: int | None
    name: str
    score: float


class SearchErrorOut(Schema):
    message: str  # the platform-wide field for a Chinese explanation naming the parameter
    detail: str


def _invalid(message: str) -> tuple[int, dict]:
    return 422, {"message": message, "detail": message}


@router.get("", response={200: list[SearchHitOut], 422: SearchErrorOut}, summary="搜索一件事和事项")
def search_catalog(
    request,
    q: str | None = Query(None, description=f"搜索词，1-{MAX_QUERY_LENGTH} 个字符，例如“孩子刚出生要办什么”"),
    limit: int = Query(10, description=f"返回条数，1-{MAX_LIMIT}"),
):
    # Checked here rather than by schema constraints so the resident-facing message is in Chinese.
    if q is None or q == "":
        return _invalid("请填写搜索词：参数 q 不能为空。")
    if len(q) > MAX_QUERY_LENGTH:
        return _invalid(f"搜索词太长：参数 q 最多 {MAX_QUERY_LENGTH} 个字符。")
    if not 1 <= limit <= MAX_LIMIT:
        return _invalid(f"参数 limit 须在 1 到 {MAX_LIMIT} 之间。")
    return search(q, limit=limit)
