"""Forms of the staff pages. They only parse what was typed; the services decide what is valid and say why."""

from __future__ import annotations

from django import forms

from yijianshi.accounts.roles import Role
from yijianshi.accounts.services import GrantSpec
from yijianshi.organizations.models import Department, ServicePoint


def _text(label: str, max_length: int, *, must: bool = False, **attrs) -> forms.CharField:
    """A text field. The services check presence themselves; ``must`` is for what no service checks."""
    return forms.CharField(label=label, max_length=max_length, required=must, strip=True,
                           error_messages={"required": f"{label}：必填",
                                           "max_length": f"{label}：不能超过 {max_length} 个字符"},
                           widget=forms.TextInput(attrs=attrs))


# --- Staff accounts ------------------------------------------------------------------------------------------

class StaffFilterForm(forms.Form):
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部角色"), *Role.choices])
    department = forms.ModelChoiceField(label="所属部门", required=False, queryset=Department.objects.all(),
                                        empty_label="全部部门")
    service_point = forms.ModelChoiceField(label="所属服务网点", required=False,
                                           queryset=ServicePoint.objects.all(), empty_label="全部网点")


class StaffCreateForm(forms.Form):
    # Checked here too (the service checks again) so that every missing field is named at once.
    username = _text("登录名", 150, must=True, autocomplete="off", required=True)
    name = _text("姓名", 30, must=True, autocomplete="off", required=True)
    id_number = _text("身份证号码", 30, must=True, autocomplete="off", inputmode="text", required=True)
    mobile = _text("手机号码", 20, must=True, autocomplete="off", inputmode="numeric", required=True)
    password = forms.CharField(label="初始密码", required=True, strip=False,
                               error_messages={"required": "初始密码：必填"},
                               help_text="至少 10 位，不能全为数字；请当面告知本人，并提醒其首次登录后修改。",
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "required": True}))


class GrantForm(forms.Form):
    """One role for one scope. A row left without a role is ignored, so the page can offer spare rows."""

    role = forms.ChoiceField(label="角色", required=False, choices=[("", "（不授予）"), *Role.choices])
    department = forms.ModelChoiceField(label="所属部门", required=False, queryset=Department.objects.all(),
                                        empty_label="（不限部门）")
    service_point = forms.ModelChoiceField(label="所属服务网点", required=False,
                                           queryset=ServicePoint.objects.all(), empty_label="（不限网点）")

    def spec(self) -> GrantSpec | None:
        data = self.cleaned_data
        if not data.get("role"):
            return None
        department, point = data.get("department"), data.get("service_point")
        return GrantSpec(data["role"], department.pk if department else None, point.pk if point else None)


class BaseGrantFormSet(forms.BaseFormSet):
    require_one = False

    def clean(self):
        super().clean()
        if self.require_one and not any(form.is_valid() and form.spec() for form in self.forms):
            raise forms.ValidationError("角色：请至少授予一个角色")


def grant_formset(data=None, *, initial=None, spare: int = 2, require_one: bool = False) -> BaseGrantFormSet:
    formset_class = forms.formset_factory(GrantForm, formset=BaseGrantFormSet, extra=spare, max_num=20,
                                          absolute_max=20, validate_max=True)
    formset = formset_class(data=data, initial=list(initial or []) or None, prefix="grants")
    formset.require_one = require_one
    return formset


def grant_specs(formset) -> list[GrantSpec]:
    return [spec for form in formset.forms if (spec := form.spec()) is not None]


def grants_initial(staff) -> list[dict]:
    return [{"role": g.role, "department": g.department_id, "service_point": g.service_point_id}
            for g in staff.role_grants.all()]


class RolesChangeForm(forms.Form):
    reason = _text("变更原因", 200, must=True, required=True, placeholder="如：岗位调整，见人事通知")


class SetActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", "启用"), ("0", "停用")], coerce=lambda v: v == "1",
                                    widget=forms.HiddenInput)
    reason = _text("原因", 200, required=True, placeholder="如：调离岗位")


class SystemAccountForm(forms.Form):
    username = _text("登录名", 150, autocomplete="off", required=True, placeholder="如 hotline-12345")
    name = _text("系统名称", 150, required=True, placeholder="如：12345 政务服务便民热线系统")


class TokenIssueForm(forms.Form):
    name = _text("用途", 100, required=True, placeholder="如：12345 热线工单对接")
    days = forms.IntegerField(label="有效天数", initial=365, required=False,
                              widget=forms.NumberInput(attrs={"min": 1, "max": 730}))


# --- Enterprises ---------------------------------------------------------------------------------------------

class EnterpriseSearchForm(forms.Form):
    credit_code = _text("统一社会信用代码", 30, autocomplete="off", placeholder="18 位，精确查找")


class LegalRepresentativeChangeForm(forms.Form):
    name = _text("新法定代表人姓名", 30, autocomplete="off", required=True)
    id_number = _text("新法定代表人身份证号码", 30, autocomplete="off", required=True)
    reason = _text("变更依据", 200, required=True, placeholder="如：市场监管局变更登记通知书文号")


# --- Persons -------------------------------------------------------------------------------------------------

class PersonLookupForm(forms.Form):
    id_number = _text("身份证号码", 30, autocomplete="off")
    mobile = _text("手机号码", 20, autocomplete="off", inputmode="numeric")

    def clean(self):
        data = super().clean()
        if not data.get("id_number") and not data.get("mobile"):
            raise forms.ValidationError("请填写身份证号码或手机号码之一")
        if data.get("id_number") and data.get("mobile"):
            raise forms.ValidationError("身份证号码和手机号码只填一项")
        return data


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", "身份证号码"), ("mobile", "手机号码")], widget=forms.HiddenInput)
    purpose = _text("查看事由", 500, required=True, placeholder="如：核对办件申请人身份")
