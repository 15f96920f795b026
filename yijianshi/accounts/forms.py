"""Forms of the residents' and enterprises' pages. They only shape the input (presence, length, which choice);
the services judge the content and say what is wrong, in Chinese, naming the field (views.form_error_from)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth.forms import AuthenticationForm


def form_error_from(form: forms.Form, exc, aliases: dict[str, str] | None = None) -> None:
    """Put a service's InvalidInput next to the field it names, or above the form when the form has no such
    field (the message names the field either way). ``aliases`` maps a service's field to the form's."""
    field = (aliases or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def _text(label: str, *, max_length: int, required: bool = True, autocomplete: str = "off", **attrs) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required,
        error_messages={"required": f"{label}：必填",
                        "max_length": f"{label}：不能超过 %(limit_value)d 个字符"},
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, **attrs}))


def _password(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=128, strip=False, error_messages={"required": f"{label}：必填"},
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}))


class SignUpForm(forms.Form):
    name = _text("姓名", max_length=30, autocomplete="name")
    id_number = _text("身份证号码", max_length=30, inputmode="text", spellcheck="false")
    mobile = _text("手机号码", max_length=20, autocomplete="tel", inputmode="tel")
    password = _password("密码", "new-password")
    password_confirm = _password("确认密码", "new-password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = "至少 10 位，不要只用数字，不要与姓名、常见密码相同"

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", "确认密码：两次输入的密码不一致")
        return data


class LoginForm(AuthenticationForm):
    # One message whatever went wrong, so the page never tells whether an ID number has an account.
    error_messages = {
        "invalid_login": "账号或密码不正确",
        "inactive": "账号或密码不正确",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "身份证号码 / 手机号码 / 登录名"
        username.error_messages["required"] = "请输入身份证号码、手机号码或登录名"
        username.widget.attrs.update({"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"})
        self.fields["password"].label = "密码"
        self.fields["password"].error_messages["required"] = "请输入密码"


class ContactForm(forms.Form):
    mobile = _text("手机号码", max_length=20, autocomplete="tel", inputmode="tel", placeholder="新的手机号码")


class MandateGrantForm(forms.Form):
    AGENT_KINDS = [("person", "亲属或他人"), ("helper", "帮办代办员"), ("agency", "代理机构")]
    SCOPES = [("all", "全部事项"), ("bundles", "指定的“一件事”")]

    principal = forms.TypedChoiceField(label="委托人", coerce=int, error_messages={"required": "委托人：请选择"})
    agent_kind = forms.ChoiceField(label="受托人类型", choices=AGENT_KINDS, initial="person",
                                   widget=forms.RadioSelect, error_messages={"required": "受托人类型：请选择"})
    agent_name = _text("受托人姓名", max_length=30, required=False)
    agent_id_number = _text("受托人身份证号码", max_length=30, required=False, spellcheck="false")
    helper = forms.TypedChoiceField(label="选择帮办代办员", coerce=int, required=False, empty_value=None)
    agent_credit_code = _text("受托机构统一社会信用代码", max_length=30, required=False, spellcheck="false")
    scope = forms.ChoiceField(label="授权事项", choices=SCOPES, initial="all", widget=forms.RadioSelect,
                              error_messages={"required": "授权事项：请选择"})
    bundle_codes = forms.MultipleChoiceField(label="限定的“一件事”", required=False,
                                             widget=forms.CheckboxSelectMultiple)
    valid_until = forms.DateField(label="到期日期", input_formats=["%Y-%m-%d"],
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                  error_messages={"required": "到期日期：必填", "invalid": "到期日期：日期格式不正确"})
    note = _text("说明（选填）", max_length=200, required=False, placeholder="如：帮我办理养老保险待遇申领")

    def __init__(self, *args, principals, helpers, bundles, **kwargs):
        """``principals``: (pk, label) the user may grant for; ``helpers``: (pk, label); ``bundles``: Bundle list."""
        super().__init__(*args, **kwargs)
        self.fields["principal"].choices = principals
        self.fields["helper"].choices = [("", "请选择帮办代办员"), *helpers]
        self.fields["bundle_codes"].choices = [(b.code, b.name) for b in bundles]
        if not self.is_bound:
            self.initial.setdefault("valid_until", _one_year_from(date.today()))
            if principals:
                self.initial.setdefault("principal", principals[0][0])

    def clean(self):
        data = super().clean()
        kind = data.get("agent_kind")
        if kind == "helper" and not data.get("helper"):
            self.add_error("helper", "帮办代办员：请选择")
        if kind == "agency" and not data.get("agent_credit_code"):
            self.add_error("agent_credit_code", "受托机构统一社会信用代码：必填")
        if data.get("scope") == "bundles" and not data.get("bundle_codes") and "bundle_codes" not in self.errors:
            self.add_error("bundle_codes", "授权事项：请至少选择一件事")
        return data


def _one_year_from(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class RevokeForm(forms.Form):
    reason = _text("原因（选填）", max_length=200, required=False)


class EnterpriseRegisterForm(forms.Form):
    name = _text("企业名称", max_length=200, autocomplete="organization")
    credit_code = _text("统一社会信用代码", max_length=30, spellcheck="false")
    representative_name = _text("法定代表人姓名", max_length=30)
    representative_id_number = _text("法定代表人身份证号码", max_length=30, spellcheck="false")


class AdministratorForm(forms.Form):
    name = _text("姓名", max_length=30)
    id_number = _text("身份证号码", max_length=30, spellcheck="false")
