"""12345 hotline API: POST /api/v1/hotline/dispatch-suggestions (mounted by the project's NinjaAPI)."""

from ninja import Field, Router, Schema

from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.permissions import require_permission
from yijianshi.hotline.dispatch.classifier import needs_person
from yijianshi.hotline.dispatch.training import current_model
from yijianshi.organizations.models import Department

router = Router(tags=["12345 热线"], auth=API_AUTH)

MAX_TEXT_LENGTH = 2000


class DispatchQueryIn(Schema):
    text: str = Field(..., min_length=1, max_length=MAX_TEXT_LENGTH, description="诉求内容（群众原话或话务员记录）")


class DepartmentRefOut(Schema):
    code: str
    name: str


class SuggestionOut(Schema):
    department: DepartmentRefOut
    score: float = Field(..., description="模型给出的概率，0-1")


class DispatchSuggestionsOut(Schema):
    suggestions: list[SuggestionOut]
    needs_person: bool = Field(..., description="为 true 时置信度不足，须由话务员人工分拨")
    model_version: str


class MessageOut(Schema):
    message: str


@router.post("/hotline/dispatch-suggestions", response={200: DispatchSuggestionsOut, 401: MessageOut,
                                                        403: MessageOut},
             summary="12345 工单分拨建议")
def dispatch_suggestions(request, payload: DispatchQueryIn):
    """按可能性排序的承办单位建议（最多 3 个）；置信度不足时 needs_person 为 true。需要“12345 分拨”权限。"""
    require_permission(request.user, "hotline.dispatch", message="您没有 12345 工单分拨权限")
    model = current_model()
    ranked = model.suggest(payload.text, k=3)
    names = dict(Department.objects.filter(code__in=[c for c, _ in ranked]).values_list("code", "name"))
    # A department removed from the catalog since training is not suggested.
    ranked = [(code, score) for code, score in ranked if code in names]
    return {
        "suggestions": [{"department": {"code": code, "name": names[code]}, "score": score} for code, score in ranked],
        "needs_person": needs_person(ranked),
        "model_version": model.version,
    }
