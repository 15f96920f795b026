"""Forms of the hall pages. They only shape input; the services decide (and name the field when they refuse)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from yijianshi.cases.models import Rating
from yijianshi.hall.models import QueueTicket


def _msgs(label: str) -> dict:
    return {"required": f"{label}：必填", "max_length": f"{label}：不能超过 %(limit_value)d 个字符",
            "invalid_choice": f"{label}：请从列表中选择", "invalid": f"{label}：格式不正确"}


class TakeForm(forms.Form):
    """取号 at the kiosk or on a phone. The categories are the service point's open ones."""

    category = forms.ChoiceField(label="办理业务", widget=forms.RadioSelect, error_messages=_msgs("办理业务"))
    id_number = forms.CharField(
        label="身份证号码（选填）", required=False, max_length=20, error_messages=_msgs("身份证号码"),
        help_text="70 周岁以上老年人填写或刷身份证后自动进入绿色通道；号码只用于判断年龄，不保存。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    declared_priority = forms.ChoiceField(
        label="绿色通道", required=False, widget=forms.RadioSelect, error_messages=_msgs("绿色通道"),
        choices=[("", "不需要"), (QueueTicket.Priority.PREGNANT, "孕妇"),
                 (QueueTicket.Priority.VETERAN, "退役军人及优抚对象（请备好优待证）")],
        help_text="残疾人请向导办台或窗口工作人员出示残疾人证，由工作人员登记绿色通道。")
    needs_help = forms.BooleanField(label="我需要帮办代办（工作人员陪同或代为填表、网上申报）", required=False)
    mobile = forms.CharField(label="手机号码（选填，短信提醒叫号）", required=False, max_length=20,
                             error_messages=_msgs("手机号码"),
                             widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))

    def __init__(self, *args, categories=(), signed_in=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, f"{c.prefix} {c.name}") for c in categories]
        if signed_in:  # the account's own ID number and mobile are used
            del self.fields["id_number"]
            del self.fields["mobile"]


class FinishForm(forms.Form):
    ticket = forms.IntegerField(widget=forms.HiddenInput)
    case_number = forms.CharField(label="关联办件编号（选填）", required=False, max_length=20,
                                  error_messages=_msgs("办件编号"),
                                  help_text="在本窗口为群众提交或受理的办件，如 QJ20261130000001")
    help_note = forms.CharField(label="帮办内容", required=False, max_length=1000, error_messages=_msgs("帮办内容"),
                                widget=forms.Textarea(attrs={"rows": 2}))


class TransferForm(forms.Form):
    ticket = forms.IntegerField(widget=forms.HiddenInput)
    category = forms.ChoiceField(label="转至业务类别", required=False, error_messages=_msgs("转至业务类别"))
    to_window = forms.ChoiceField(label="或转至窗口", required=False, error_messages=_msgs("转至窗口"))
    reason = forms.CharField(label="转办说明（选填）", required=False, max_length=200, error_messages=_msgs("转办说明"))

    def __init__(self, *args, categories=(), windows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "——")] + [(c.code, f"{c.prefix} {c.name}") for c in categories]
        self.fields["to_window"].choices = [("", "——")] + [(str(w.pk), f"{w.number} {w.name}") for w in windows]


class PriorityForm(forms.Form):
    reason = forms.ChoiceField(label="绿色通道情形", error_messages=_msgs("绿色通道情形"),
                               choices=[(p.value, p.label) for p in QueueTicket.Priority if p.value])


class HelpNoteForm(forms.Form):
    note = forms.CharField(label="帮办内容", max_length=1000, error_messages=_msgs("帮办内容"),
                           widget=forms.Textarea(attrs={"rows": 2}))


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(label="您对本次窗口服务的评价", coerce=int, widget=forms.RadioSelect,
                                   choices=sorted(Rating.Level.choices, reverse=True),
                                   error_messages=_msgs("评价"))
    comment = forms.CharField(label="意见和建议（不满意时请写明原因）", required=False, max_length=1000,
                              error_messages=_msgs("意见和建议"), widget=forms.Textarea(attrs={"rows": 3}))


class FiguresForm(forms.Form):
    point = forms.ChoiceField(label="服务网点", required=False, error_messages=_msgs("服务网点"))
    start = forms.DateField(label="自", required=False, error_messages=_msgs("开始日期"),
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="至", required=False, error_messages=_msgs("结束日期"),
                          widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, points=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].choices = [("", "全部网点")] + [(p.code, p.name) for p in points]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        start, end = data.get("start") or today, data.get("end") or data.get("start") or today
        if start > end:
            self.add_error("end", "结束日期：不能早于开始日期")
        elif (end - start) > timedelta(days=366):
            self.add_error("start", "开始日期：一次最多统计一年")
        data["start"], data["end"] = start, end
        return data
