"""The platform's JSON API (OpenAPI at /api/docs). Each app contributes a router; versions live in the path."""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from yijianshi.accounts.api import router as accounts_router
from yijianshi.accounts.permissions import NotAllowed
from yijianshi.accounts.services import InvalidInput
from yijianshi.audit.api import router as audit_router
from yijianshi.cases.api import router as cases_router
from yijianshi.cases.services import Conflict

from yijianshi.catalog.api import router as catalog_router
from yijianshi.certificates.api import router as certificates_router
from yijianshi.hall.api import router as hall_router
from yijianshi.hotline.api import router as hotline_router
from yijianshi.policies.api import router as policies_router
from yijianshi.profiles.api import router as profiles_router
from yijianshi.search.api import router as search_router

api = NinjaAPI(
    title="清涧县“高效办成一件事”政务服务平台 API",
    version="1",
    description=(
        "事项库、一件事、搜索、身份与授权、审计等接口。错误响应的 message 字段为中文说明。\n\n"
        "认证：本平台页面使用登录会话（写操作需 CSRF 令牌）；其他系统使用 `Authorization: Bearer <令牌>`，"
        "令牌由系统管理员在“工作人员管理”中为对接系统账号签发。"
    ),
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


@api.exception_handler(InvalidInput)
def invalid_input(request: HttpRequest, exc: InvalidInput):
    return api.create_response(request, {"message": exc.message, "field": exc.field}, status=400)


@api.exception_handler(NotAllowed)
def not_allowed(request: HttpRequest, exc: NotAllowed):
    return api.create_response(request, {"message": exc.message}, status=403)


@api.exception_handler(Conflict)
def conflict(request: HttpRequest, exc: Conflict):
    # Someone else moved the case or task first (two officers, one task): say what happened, change nothing.
    return api.create_response(request, {"message": exc.message}, status=409)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    # The same answer for "does not exist" and "not yours", so ids cannot be probed.
    return api.create_response(request, {"message": "未找到，或您无权查看"}, status=404)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"message": "请先登录，或在 Authorization 请求头中提供有效的访问令牌"},
                               status=401)


api.add_router("/v1", catalog_router)
api.add_router("/v1", accounts_router)
api.add_router("/v1/audit", audit_router)
api.add_router("/v1/search", search_router)
api.add_router("/v1", cases_router)
api.add_router("/v1", hotline_router)
api.add_router("/v1", hall_router)
api.add_router("/v1", certificates_router)
api.add_router("/v1/profiles", profiles_router)
api.add_router("/v1/policies", policies_router)
