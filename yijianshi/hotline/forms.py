"""Forms of the 12345 pages. They only shape input; the services validate the substance and name the field."""

from __future__ import annotations

from django import forms

from django.utils import timezone

from yijianshi.hotline import time_limits
from yijianshi.hotline.models import CoHandling, Ticket, TicketRating
from yijianshi.organizations.models import Department, ServicePoint, Town

RATING_LEVELS = [(5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意")]


def _required(label: str) -> dict:
    return {"required": f"{label}：必填"}


def _town_choices():
    return [("", "（请选择）")] + [(t.division_code, t.name) for t in Town.objects.order_by("division_code")]


class IntakeForm(forms.Form):
    caller_mobile = forms.CharField(label="来电号码", max_length=20, required=False, widget=forms.TextInput(attrs={
        "inputmode": "tel", "autocomplete": "off", "hx-post": "", "hx-trigger": "input changed delay:400ms, change",
        "hx-target": "#caller-lookup", "hx-swap": "innerHTML"}))
    caller_name = forms.CharField(label="诉求人称呼", max_length=30, required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "如：张女士"}))
    kind = forms.ChoiceField(label="诉求类型", choices=Ticket.Kind.choices, initial=Ticket.Kind.COMPLAINT,
                             error_messages=_required("诉求类型"))
    urgency = forms.ChoiceField(label="紧急程度", choices=Ticket.Urgency.choices, initial=Ticket.Urgency.NORMAL,
                                widget=forms.RadioSelect, error_messages=_required("紧急程度"))
    town_code = forms.ChoiceField(label="所在镇", required=False)
    address = forms.CharField(label="具体位置", max_length=200, required=False)
    content = forms.CharField(label="诉求内容（通话记录）", max_length=4000, error_messages=_required("诉求内容"),
                              widget=forms.Textarea(attrs={"rows": 6, "placeholder": "边听边记：事情、地点、诉求"}))
    wants_reply = forms.BooleanField(label="需要答复", required=False, initial=True)

    def __init__(self, *args, lookup_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town_code"].choices = _town_choices()
        self.fields["caller_mobile"].widget.attrs["hx-post"] = lookup_url


class CallerLookupForm(forms.Form):
    caller_mobile = forms.CharField(max_length=20, required=False)


class DispatchForm(forms.Form):
    department_code = forms.ChoiceField(label="主办单位", error_messages=_required("主办单位"))
    co_department_codes = forms.MultipleChoiceField(label="协办单位", required=False, help_text="可不选；按住 Ctrl 多选",
                                                    widget=forms.SelectMultiple(attrs={"size": 4}))
    service_point_code = forms.ChoiceField(label="属地便民服务中心", required=False)
    note = forms.CharField(label="分拨说明", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = [(d.code, d.name) for d in Department.objects.order_by("position", "code")]
        self.fields["department_code"].choices = [("", "（请选择）")] + departments
        self.fields["co_department_codes"].choices = departments
        points = ServicePoint.objects.filter(kind=ServicePoint.Kind.TOWN_CENTER).order_by("code")
        self.fields["service_point_code"].choices = [("", "（不需要）")] + [(p.code, p.name) for p in points]


class AssignForm(DispatchForm):
    """交办 of a 办不成事 by a supervisor: the dispatch form plus the 督办 that goes with it."""

    note = forms.CharField(label="督办意见", max_length=500, error_messages=_required("督办意见"),
                           widget=forms.Textarea(attrs={"rows": 2, "placeholder": "办不成的原因、办理要求和时限"}))


class CoHandleForm(forms.Form):
    opinion = forms.CharField(label="协办意见", max_length=2000, error_messages=_required("协办意见"),
                              widget=forms.Textarea(attrs={"rows": 3,
                                                           "placeholder": "本单位核查、办理的情况和意见"}))
    done = forms.BooleanField(label="本单位协办部分已完成", required=False,
                              help_text="勾选后主办单位即可答复；未勾选只记录意见，可继续补充")


class CoWaiveForm(forms.Form):
    co_handling = forms.ModelChoiceField(label="协办单位", queryset=CoHandling.objects.none(),
                                         error_messages=_required("协办单位") | {
                                             "invalid_choice": "协办单位：不是该工单待协办的单位"})
    reason = forms.CharField(label="免于协办理由", max_length=300, error_messages=_required("免于协办理由"))

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["co_handling"]
        field.queryset = CoHandling.objects.filter(ticket=ticket, status=CoHandling.Status.PENDING)
        field.label_from_instance = lambda part: part.department.name


def _rating_choice(rating: TicketRating) -> str:
    return f"{timezone.localtime(rating.rated_at):%m-%d %H:%M} {rating.label}" + (
        f"：{rating.comment[:24]}" if rating.comment else "")


class AppealForm(forms.Form):
    rating = forms.ModelChoiceField(label="申诉的评价", queryset=TicketRating.objects.none(), empty_label=None,
                                    error_messages=_required("申诉的评价") | {
                                        "invalid_choice": "申诉的评价：该评价不能申诉"})
    reason = forms.CharField(label="申诉理由", max_length=2000, error_messages=_required("申诉理由"),
                             widget=forms.Textarea(attrs={"rows": 3,
                                                          "placeholder": "评价含辱骂、与诉求无关等情形及证据（如通话录音）"}))

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["rating"]
        field.queryset = ticket.ratings.filter(level__lte=2, appealed_at__isnull=True).order_by("-rated_at", "-pk")
        field.label_from_instance = _rating_choice


class AppealDecisionForm(forms.Form):
    rating = forms.ModelChoiceField(label="申诉的评价", queryset=TicketRating.objects.none(), empty_label=None,
                                    error_messages=_required("申诉的评价") | {
                                        "invalid_choice": "申诉的评价：没有待复核的申诉"})
    decision = forms.ChoiceField(label="复核结论", widget=forms.RadioSelect, error_messages=_required("复核结论"),
                                 choices=[("exclude", "申诉成立，评价不计入"), ("uphold", "申诉不成立，评价有效")])
    reason = forms.CharField(label="复核意见", max_length=2000, error_messages=_required("复核意见"),
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["rating"]
        field.queryset = ticket.ratings.filter(appealed_at__isnull=False, appeal_decision="").order_by("rated_at")
        field.label_from_instance = _rating_choice


class RevealForm(forms.Form):
    purpose = forms.CharField(label="查看事由", max_length=500, error_messages=_required("查看事由"),
                              widget=forms.TextInput(attrs={"placeholder": "如：电话回访办理结果",
                                                            "autocomplete": "off"}))


class MergeForm(forms.Form):
    into = forms.CharField(label="并入工单编号", max_length=20, error_messages=_required("并入工单编号"))


class AnswerForm(forms.Form):
    answer = forms.CharField(label="当场答复内容", max_length=2000, error_messages=_required("当场答复内容"),
                             widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="退单理由", max_length=300, error_messages=_required("退单理由"),
                             widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(forms.Form):
    reply = forms.CharField(label="答复内容", max_length=4000, error_messages=_required("答复内容"),
                            widget=forms.Textarea(attrs={"rows": 4}))


class ExtendForm(forms.Form):
    working_days = forms.IntegerField(label="延期工作日", min_value=1, max_value=time_limits.MAX_WORKING_DAYS,
                                      error_messages=_required("延期工作日") | {
                                          "invalid": "延期工作日：请填写数字",
                                          "min_value": "延期工作日：至少 1 天",
                                          "max_value": "延期工作日：过长"})
    reason = forms.CharField(label="延期理由", max_length=300, error_messages=_required("延期理由"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The maximum is the time-limit file's (the service enforces it); say it before the leader types.
        most = time_limits.current().max_extension_days
        self.fields["working_days"].help_text = f"最多 {most} 个工作日，从原时限起按工作日顺延"


class SuperviseForm(forms.Form):
    note = forms.CharField(label="督办意见", max_length=500, error_messages=_required("督办意见"))
    escalate = forms.BooleanField(label="升级至部门负责人", required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="复核结论", choices=[("reopen", "差评重办"), ("close", "复核后办结")],
                                 widget=forms.RadioSelect, error_messages=_required("复核结论"))
    reason = forms.CharField(label="复核意见", max_length=300, error_messages=_required("复核意见"),
                             widget=forms.Textarea(attrs={"rows": 2}))


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(label="满意度", choices=RATING_LEVELS, coerce=int, widget=forms.RadioSelect,
                                   error_messages=_required("满意度"))
    comment = forms.CharField(label="评价说明", max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "placeholder": "不满意时请说明原因"}))


class OverdueFilterForm(forms.Form):
    department = forms.ModelChoiceField(label="主办单位", queryset=Department.objects.order_by("position", "code"),
                                        required=False, empty_label="全部单位", to_field_name="code")
    town = forms.ModelChoiceField(label="所在镇", queryset=Town.objects.order_by("division_code"), required=False,
                                  empty_label="全部镇", to_field_name="division_code")


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); cleans to a list, empty when none."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class WebTicketForm(forms.Form):
    kind = forms.ChoiceField(label="诉求类型", error_messages=_required("诉求类型"),
                             choices=[c for c in Ticket.Kind.choices])
    town_code = forms.ChoiceField(label="所在镇", required=False)
    address = forms.CharField(label="具体位置", max_length=200, required=False)
    content = forms.CharField(label="诉求内容", max_length=4000, error_messages=_required("诉求内容"),
                              widget=forms.Textarea(attrs={"rows": 6, "placeholder": "请写清事情经过、地点和您的诉求"}))
    wants_reply = forms.BooleanField(label="需要答复", required=False, initial=True)
    photos = MultipleFileField(label="现场照片（选填，最多 3 张 JPG/PNG）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town_code"].choices = _town_choices()
