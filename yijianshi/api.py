"""The platform's JSON API (OpenAPI at /api/docs). Each app contributes a router; versions live in the path."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import ValidationError

from yijianshi.catalog.api import router as catalog_router
from yijianshi.search.api import router as search_router

api = NinjaAPI(
    title="清涧县“高效办成一件事”政务服务平台 API",
    version="1",
    description="事项库、一件事、搜索等接口。错误响应的 message 字段为中文说明。",
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)

_LOCATIONS = {"query": "查询参数", "path": "路径参数", "body": "请求体", "form": "表单", "header": "请求头"}


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    """Name every offending field in Chinese, keeping the machine-readable detail alongside."""
    problems = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", [])]
        where = _LOCATIONS.get(loc[0], loc[0]) if loc else ""
        field = ".".join(loc[1:]) or "?"
        problems.append(f"{where} {field}：{_describe(error)}")
    return api.create_response(request, {"message": "；".join(problems), "detail": exc.errors}, status=422)


def _describe(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "必填"
    if kind == "string_too_long":
        return f"长度不能超过 {ctx.get('max_length')} 个字符"
    if kind == "string_too_short":
        return f"长度不能少于 {ctx.get('min_length')} 个字符"
    if kind in ("int_parsing", "int_type"):
        return "须为整数"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "")
        words = {"greater_than_equal": "不能小于", "less_than_equal": "不能大于", "greater_than": "须大于",
                 "less_than": "须小于"}
        return f"{words[kind]} {bound}"
    if kind == "enum":
        return f"取值须为 {ctx.get('expected', '')}"
    return error.get("msg", "不合法")


api.add_router("/v1", catalog_router)
api.add_router("/v1/search", search_router)
