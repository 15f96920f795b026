"""Forms of the profile pages. They only shape the input; the services judge it and say what is wrong."""

from __future__ import annotations

from django import forms

from yijianshi.profiles.models import FeedRun


class LookupForm(forms.Form):
    subject = forms.CharField(
        label="证件号码", max_length=30, strip=True,
        error_messages={"required": "证件号码：必填", "max_length": "证件号码：不能超过 30 个字符"},
        help_text="自然人填身份证号码，企业填统一社会信用代码",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    entry = forms.TypedChoiceField(label="用途", coerce=int, error_messages={
        "required": "用途：必填，请从本部门共享责任清单中选择", "invalid_choice": "用途：请从本部门共享责任清单中选择"})

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [("", "请选择用途")] + [
            (e.pk, f"{e.purpose}（{e.department.name}，{e.get_party_kind_display()}）") for e in entries]


class FeedUploadForm(forms.Form):
    department = forms.TypedChoiceField(label="提供部门", coerce=int,
                                        error_messages={"required": "提供部门：必填",
                                                        "invalid_choice": "提供部门：只能以本人所在部门的名义提供"})
    file = forms.FileField(label="数据文件", error_messages={"required": "数据文件：请选择要上传的 CSV 或 JSON 文件",
                                                             "empty": "数据文件：文件是空的"},
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}))
    format = forms.ChoiceField(label="文件格式", required=False,
                               choices=[("", "按扩展名识别"), *FeedRun.Format.choices])
    apply_valid_only = forms.BooleanField(
        label="存在错误行时，仍导入其余有效行", required=False,
        help_text="默认不勾选：只要有一行错误，整个文件都不导入（全部成功或全部不导入），请改正后重新提交。")

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, d.name) for d in departments]
        if len(departments) == 1:
            self.fields["department"].initial = departments[0].pk
