"""办件 API: applying, following and correcting one's cases; pre-review at the window; department tasks.

Thin: parse, find the case or task through a selector (404 for "not there" and "not yours" alike), call a service,
shape the answer. Form data goes back only to the applicant's side, with ID numbers masked; free text written by
staff (opinions, timeline) is masked too, in case someone typed a number into it.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404
from ninja import Field, File, Header, P, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from yijianshi.accounts.auth import API_AUTH
from yijianshi.accounts.permissions import NotAllowed, require_permission
from yijianshi.accounts.services import ActingContext, InvalidInput, acting_context
from yijianshi.cases import selectors, services, storage
from yijianshi.cases.models import Case, Task
from yijianshi.catalog.models import Bundle, DataElement
from yijianshi.privacy.masking import mask_id_number, mask_text

router = Router(tags=["办件"], auth=API_AUTH)


# --- schemas ----------------------------------------------------------------------------------------------------

class BundleRef(Schema):
    code: str
    name: str


class ApplicationIn(Schema):
    bundle_code: str = Field(max_length=64, description="一件事编码，如 newborn")
    answers: dict = Field(default_factory=dict, description="情形引导问卷的答案：问题编码 -> 选项")
    form_data: dict = Field(default_factory=dict, description="一表申请：数据元编码 -> 值")
    materials: dict[str, int] = Field(default_factory=dict, description="材料编码 -> 已上传文件的 id")
    deferred_materials: list[str] = Field(default_factory=list, max_length=50, description="容缺后补的材料编码")
    commitment_signed: bool = Field(False, description="已签署承诺书（容缺受理、告知承诺）")
    delivery_method: str = Field("download", max_length=10, description="出件方式：download / pickup / post")
    delivery_address: str = Field("", max_length=300, description="邮寄地址（邮寄送达时必填）")
    pickup_point_id: int | None = Field(None, description="领取网点（窗口领取时）")
    principal_id: int | None = Field(None, description="代谁申请：默认本人；或本人代表的企业、授权本人代办的群众")


class ProblemIn(Schema):
    target: str = Field("", max_length=100, description="material:<材料编码> 或 field:<数据元编码>")
    message: str = Field(max_length=500, description="缺少或需要更正的内容")


class ProblemOut(Schema):
    target: str
    message: str


class CorrectionRequestIn(Schema):
    problems: list[ProblemIn] = Field(max_length=50, description="一次性告知的全部问题")


class CorrectionIn(Schema):
    form_data: dict = Field(default_factory=dict, description="更正后的表单值（只需给出更正的字段）")
    materials: dict[str, int] = Field(default_factory=dict, description="材料编码 -> 重新上传的文件 id")
    commitment_id: int | None = Field(None, description="补交容缺材料时：对应的容缺承诺 id")


class RefuseCaseIn(Schema):
    reason: str = Field(max_length=500, description="不予受理理由")
    legal_basis: str = Field(max_length=500, description="法律依据")


class DeliverIn(Schema):
    note: str = Field("", max_length=300, description="出件说明，如领取人、快递单号")


class RatingIn(Schema):
    level: int = Field(description="5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意")
    comment: str = Field("", max_length=1000, description="评价说明（不满意时必填）")


class WithdrawIn(Schema):
    reason: str = Field("", max_length=300)


class ApproveIn(Schema):
    opinion: str = Field(max_length=2000, description="办理意见")
    result: dict = Field(default_factory=dict, description="办理结果，如证照编号")
    output_data: dict = Field(default_factory=dict, description="传递给后续事项的数据")


class ReturnIn(Schema):
    opinion: str = Field(max_length=2000)
    problems: list[ProblemIn] = Field(max_length=50, description="退回补正的全部问题（一次性告知）")


class RefuseTaskIn(Schema):
    opinion: str = Field(max_length=2000)
    legal_basis: str = Field(max_length=500, description="不予许可的法律依据")


class ExtendIn(Schema):
    days: int = Field(description="延长的工作日数（1–30）")
    reason: str = Field(max_length=500)


class FileOut(Schema):
    id: int
    sha256: str
    size: int
    content_type: str


class TaskBriefOut(Schema):
    id: int
    item_code: str
    item_name: str
    department: str
    status: str
    status_label: str
    due_date: date | None
    after: list[str] = Field(description="前置事项")
    result: dict
    result_revoked: bool
    opinion: str


class NoticeOut(Schema):
    id: int
    problems: list[ProblemOut]
    issued_at: datetime


class CommitmentOut(Schema):
    id: int
    kind: str
    status: str
    due_date: date
    materials: list[str]
    items: list[str]


class RatingBriefOut(Schema):
    level: int
    label: str


class EventOut(Schema):
    at: datetime
    kind: str
    message: str
    internal: bool


class MaterialOut(Schema):
    code: str
    name: str
    status: str
    status_label: str
    note: str
    file_id: int | None
    certificate_identifier: str = Field("", description="免提交时调取的电子证照标识，可在 /certificates/verify/ 核验")


class CaseSummaryOut(Schema):
    number: str
    bundle: BundleRef
    status: str
    status_label: str
    channel: str
    submitted_at: datetime
    due_date: date | None


class CaseOut(CaseSummaryOut):
    legal_due_date: date | None
    alert_level: str
    delivery_method: str
    situation: dict = Field(description="适用事项及理由")
    tasks: list[TaskBriefOut]
    open_notices: list[NoticeOut]
    commitments: list[CommitmentOut]
    rating: RatingBriefOut | None
    timeline: list[EventOut]
    materials: list[MaterialOut]
    form_data: dict | None = Field(None, description="申请表：仅申请人一方可见，身份证号码脱敏")


class RatingOut(Schema):
    level: int
    label: str
    comment: str
    rectification_due_date: date | None = Field(None, description="差评整改期限（不满意、非常不满意时）")


class PrerequisiteOut(Schema):
    id: int
    item_name: str
    status: str
    status_label: str


class TaskOut(Schema):
    id: int
    case_number: str
    bundle: BundleRef
    item_code: str
    item_name: str
    department: str
    department_code: str
    status: str
    status_label: str
    claimed_by: str
    started_on: date | None
    due_date: date | None
    alert_level: str


class TaskDetailOut(TaskOut):
    case_status: str
    case_status_label: str
    prerequisites: list[PrerequisiteOut]
    inputs: dict = Field(description="前置事项传来的数据")
    opinion: str
    result: dict
    output_data: dict
    materials: list[MaterialOut]
    timeline: list[EventOut]


# Checked in the view (not by the schema) so a missing key is a 400 naming it, like every other field.
IdempotencyKey = Header[str | None, P(alias="Idempotency-Key", description="幂等键：同一次申请重试时保持不变")]


# --- shaping ----------------------------------------------------------------------------------------------------

def _masked(value):
    """Mask ID and mobile numbers in free text a person typed (JSON values included)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _form_data_out(case: Case) -> dict:
    """The case's form with every ID number masked: fields typed as one, and fields named as one whatever their
    type (the catalog types a buyer's 证件号码 as text, since it may also be a passport or a credit code)."""
    data = selectors.case_form_data(case)
    id_fields = set(DataElement.objects.filter(code__in=list(data), data_type=DataElement.DataType.ID_NUMBER)
                    .values_list("code", flat=True))
    id_fields |= {k for k in data if k.endswith("id_number")}
    return {k: (mask_id_number(str(v)) if k in id_fields else v) for k, v in data.items()}


def _materials_out(case: Case) -> list[dict]:
    return [{"code": m.material.code, "name": m.material.name, "status": m.status,
             "status_label": m.get_status_display(), "note": m.note, "file_id": m.file_id,
             "certificate_identifier": m.certificate.identifier if m.certificate_id else ""}
            for m in case.materials.select_related("material", "certificate").order_by("pk")]


def _case_out(case: Case, *, applicant: bool, reload: bool = True) -> dict:
    if reload:  # services update the row behind the instance's back (dates, status)
        case = Case.objects.select_related("bundle").get(pk=case.pk)
    status = selectors.case_status(case, internal=not applicant)
    for task in status["tasks"]:
        task["opinion"] = mask_text(task["opinion"])
    for event in status["timeline"]:
        event["message"] = mask_text(event["message"])
    status["materials"] = _materials_out(case)
    status["form_data"] = _form_data_out(case) if applicant else None
    return status


def _summary_out(case: Case) -> dict:
    return {"number": case.number, "bundle": {"code": case.bundle.code, "name": case.bundle.name},
            "status": case.status, "status_label": case.get_status_display(), "channel": case.channel,
            "submitted_at": case.submitted_at, "due_date": case.due_date}


def _task_out(task: Task) -> dict:
    return {
        "id": task.pk, "case_number": task.case.number,
        "bundle": {"code": task.case.bundle.code, "name": task.case.bundle.name},
        "item_code": task.item_version.item.code, "item_name": task.item_version.name,
        "department": task.department.name, "department_code": task.department.code,
        "status": task.status, "status_label": task.get_status_display(),
        "claimed_by": (task.claimed_by.first_name or task.claimed_by.username) if task.claimed_by else "",
        "started_on": task.started_on, "due_date": task.due_date, "alert_level": task.alert_level,
    }


def _task_detail_out(task: Task) -> dict:
    task = (Task.objects.select_related("case__bundle", "item_version__item", "department", "claimed_by")
            .get(pk=task.pk))
    return {
        **_task_out(task),
        "case_status": task.case.status, "case_status_label": task.case.get_status_display(),
        "prerequisites": [{"id": p.pk, "item_name": p.item_version.name, "status": p.status,
                           "status_label": p.get_status_display()}
                          for p in task.prerequisites.select_related("item_version").order_by("pk")],
        "inputs": _masked(selectors.task_inputs(task)),
        "opinion": mask_text(task.opinion), "result": task.result, "output_data": _masked(task.output_data),
        "materials": _materials_out(task.case),
        "timeline": [{"at": e.at, "kind": e.kind, "message": mask_text(e.message), "internal": e.internal}
                     for e in task.events.order_by("at", "pk")],
    }


# --- who is asking ----------------------------------------------------------------------------------------------

def _acting(request, principal_id: int | None = None, *, bundle=None) -> ActingContext:
    """Acting for principal_id, or for whom the session chose, or for oneself; checked afresh each time."""
    chosen = getattr(request, "acting", None)
    if principal_id is None and chosen is not None and chosen.user.pk == request.user.pk:
        principal_id = chosen.principal.pk
    return acting_context(request.user, principal_id, bundle=bundle)


def _applicant_side(request, number: str) -> tuple[Case, ActingContext] | None:
    """The case and the right to act for its applicant, if the caller has it (oneself, enterprise, mandate)."""
    if getattr(request.user, "person", None) is None:
        return None
    case = Case.objects.select_related("bundle").filter(number=number).first()
    if case is None:
        return None
    try:
        context = acting_context(request.user, case.applicant_id, bundle=case.bundle)
    except NotAllowed:
        return None
    return selectors.case_for_applicant(context, number), context


def _applicant_case(request, number: str) -> tuple[Case, ActingContext]:
    found = _applicant_side(request, number)
    if found is None:
        raise Http404("没有这个办件")
    return found


# --- applicants -------------------------------------------------------------------------------------------------

@router.post("/files", response={201: FileOut}, summary="上传材料文件（PDF、JPG、PNG，不超过 20 MB）")
def upload_file(request, file: File[UploadedFile]):
    if file.size and file.size > storage.MAX_UPLOAD_BYTES:
        raise InvalidInput("file", f"文件：不能超过 {storage.MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    try:
        stored = storage.store(file.read(), owner=request.user)
    except storage.UploadRejected as exc:
        raise InvalidInput("file", f"文件：{exc.message}") from None
    return Status(201, stored)


@router.post("/applications", response={200: CaseOut, 201: CaseOut}, summary="提交一件事申请")
def apply(request, payload: ApplicationIn, idempotency_key: IdempotencyKey = None):
    if not (idempotency_key or "").strip() or len(idempotency_key) > 80:
        raise InvalidInput("Idempotency-Key", "请求头 Idempotency-Key：必填，不超过 80 个字符，同一次申请重试时保持不变")
    # A mandate may cover only some bundles: the right to act is checked for this one.
    bundle = Bundle.objects.filter(code=payload.bundle_code).first()
    context = _acting(request, payload.principal_id, bundle=bundle)
    submission = services.Submission(
        bundle_code=payload.bundle_code, answers=payload.answers, form_data=payload.form_data,
        materials=payload.materials, deferred_materials=payload.deferred_materials,
        commitment_signed=payload.commitment_signed, delivery_method=payload.delivery_method,
        delivery_address=payload.delivery_address, pickup_point_id=payload.pickup_point_id)
    case, created = services.case_submit(context=context, submission=submission, idempotency_key=idempotency_key)
    return Status(201 if created else 200, _case_out(case, applicant=True))


@router.get("/applications", response=list[CaseSummaryOut], summary="我的办件（或所代办主体的办件），新的在前")
def my_applications(request, principal_id: int | None = None, limit: int = Query(50, ge=1, le=200),
                    offset: int = Query(0, ge=0)):
    cases = selectors.cases_of(_acting(request, principal_id))[offset:offset + limit]
    return [_summary_out(c) for c in cases]


@router.get("/applications/{number}", response=CaseOut, summary="办件进度：状态、时限、各部门任务、办理过程")
def application_detail(request, number: str):
    found = _applicant_side(request, number)
    if found is not None:
        return _case_out(found[0], applicant=True, reload=False)
    return _case_out(selectors.case_for_staff(request.user, number), applicant=False, reload=False)


@router.post("/applications/{number}/materials", response=CaseOut,
             summary="补正材料（一次告知后），或补交容缺材料")
def correct_application(request, number: str, payload: CorrectionIn):
    case, context = _applicant_case(request, number)
    if payload.commitment_id is not None:
        commitment = case.commitments.filter(pk=payload.commitment_id).first()
        if commitment is None:
            raise Http404("没有这个承诺")
        services.commitment_fulfil(context=context, commitment=commitment, materials=payload.materials)
    else:
        services.case_correct(context=context, case=case, form_data=payload.form_data, materials=payload.materials)
    return _case_out(case, applicant=True)


@router.post("/applications/{number}/rating", response={201: RatingOut}, summary="评价（好差评）")
def rate_application(request, number: str, payload: RatingIn):
    case, context = _applicant_case(request, number)
    rating = services.case_rate(context=context, case=case, level=payload.level, comment=payload.comment)
    rectification = rating.rectifications.first()
    return Status(201, {"level": rating.level, "label": rating.get_level_display(), "comment": rating.comment,
                 "rectification_due_date": rectification.due_date if rectification else None})


@router.post("/applications/{number}/withdraw", response=CaseOut, summary="撤回申请")
def withdraw_application(request, number: str, payload: WithdrawIn):
    case, context = _applicant_case(request, number)
    services.case_withdraw(context=context, case=case, reason=payload.reason)
    return _case_out(case, applicant=True)


# --- pre-review and delivery (window clerks, the lead department) ------------------------------------------------

@router.post("/applications/{number}/accept", response=CaseOut, summary="预审通过，受理")
def accept_application(request, number: str):
    case = services.case_accept(user=request.user, case=selectors.case_for_staff(request.user, number))
    return _case_out(case, applicant=False)


@router.post("/applications/{number}/correction-request", response=CaseOut, summary="一次性告知补正")
def request_correction(request, number: str, payload: CorrectionRequestIn):
    case = selectors.case_for_staff(request.user, number)
    services.case_request_correction(user=request.user, case=case, problems=[p.dict() for p in payload.problems])
    return _case_out(case, applicant=False)


@router.post("/applications/{number}/refuse", response=CaseOut, summary="不予受理")
def refuse_application(request, number: str, payload: RefuseCaseIn):
    case = services.case_refuse(user=request.user, case=selectors.case_for_staff(request.user, number),
                                reason=payload.reason, legal_basis=payload.legal_basis)
    return _case_out(case, applicant=False)


@router.post("/applications/{number}/deliver", response=CaseOut, summary="统一出件（窗口领取、邮寄）")
def deliver_application(request, number: str, payload: DeliverIn):
    case = services.case_deliver(user=request.user, case=selectors.case_for_staff(request.user, number),
                                 note=payload.note)
    return _case_out(case, applicant=False)


# --- department tasks -------------------------------------------------------------------------------------------

@router.get("/tasks", response=list[TaskOut], summary="本部门的任务（默认：待办理、办理中、退回补正）")
def task_list(request, status: str | None = Query(None, description="按状态筛选，如 ready、claimed、approved"),
              limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    require_permission(request.user, "task.process", message="只有部门经办人员可以查看部门任务")
    if status and status not in Task.Status.values:
        raise InvalidInput("status", f"状态：取值须为 {'、'.join(Task.Status.values)}")
    tasks = selectors.task_queue(request.user, status=status or None).select_related("item_version__item")
    return [_task_out(t) for t in tasks[offset:offset + limit]]


@router.get("/tasks/{task_id}", response=TaskDetailOut, summary="任务详情（含前置事项传来的数据）")
def task_detail(request, task_id: int):
    return _task_detail_out(selectors.task_for_staff(request.user, task_id))


@router.post("/tasks/{task_id}/claim", response=TaskDetailOut, summary="认领任务")
def task_claim(request, task_id: int):
    task = services.task_claim(user=request.user, task=selectors.task_for_staff(request.user, task_id))
    return _task_detail_out(task)


@router.post("/tasks/{task_id}/approve", response=TaskDetailOut, summary="办结（准予），填写结果和传递数据")
def task_approve(request, task_id: int, payload: ApproveIn):
    task = services.task_approve(user=request.user, task=selectors.task_for_staff(request.user, task_id),
                                 opinion=payload.opinion, result=payload.result, output_data=payload.output_data)
    return _task_detail_out(task)


@router.post("/tasks/{task_id}/return", response=TaskDetailOut, summary="退回补正（一次性告知）")
def task_return(request, task_id: int, payload: ReturnIn):
    task = services.task_return(user=request.user, task=selectors.task_for_staff(request.user, task_id),
                                opinion=payload.opinion, problems=[p.dict() for p in payload.problems])
    return _task_detail_out(task)


@router.post("/tasks/{task_id}/refuse", response=TaskDetailOut, summary="不予许可")
def task_refuse(request, task_id: int, payload: RefuseTaskIn):
    task = services.task_refuse(user=request.user, task=selectors.task_for_staff(request.user, task_id),
                                opinion=payload.opinion, legal_basis=payload.legal_basis)
    return _task_detail_out(task)


@router.post("/tasks/{task_id}/extend", response=TaskDetailOut, summary="延长办理时限（部门审批负责人）")
def task_extend(request, task_id: int, payload: ExtendIn):
    task = services.task_extend(user=request.user, task=selectors.task_for_staff(request.user, task_id),
                                days=payload.days, reason=payload.reason)
    return _task_detail_out(task)
