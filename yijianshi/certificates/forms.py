"""Forms of the certificate pages. They only shape input; the services check the substance and name the field."""

from __future__ import annotations

from django import forms

from yijianshi.certificates.models import Certificate, CertificateType
from yijianshi.certificates.selectors import MAX_INPUT


class VerifyForm(forms.Form):
    q = forms.CharField(label="二维码内容或电子证照标识", max_length=MAX_INPUT, required=False, widget=forms.Textarea(
        attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false",
               "placeholder": "扫码得到的 QJC1:… 内容，或 1.2.156.3005.2.… 开头的证照标识"}),
        error_messages={"max_length": "二维码内容或电子证照标识：过长（不超过 %(limit_value)d 个字符）"})


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="将告知持证人，并在核验结果中向核验方公开",
                             error_messages={"required": "理由：必填", "max_length": "理由：不能超过 %(limit_value)d 个字"})


class IssuedFilterForm(forms.Form):
    identifier = forms.CharField(label="证照标识", max_length=96, required=False)
    type = forms.ModelChoiceField(label="证照类型", queryset=CertificateType.objects.none(), required=False,
                                  empty_label="全部类型", to_field_name="code")
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *Certificate.Status.choices])

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = CertificateType.objects.filter(department_id__in=departments)
