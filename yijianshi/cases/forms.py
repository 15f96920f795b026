"""Forms of the case pages. They shape input for display and parsing only; what is valid (the merged form's
values, which materials may follow later, whether a case can still move) is decided by cases.plan, the form
domain and the services, whose Chinese messages name the field and are put next to it by the views.

Field names follow what the services call them, so an InvalidInput lands on its input: a merged-form element
keeps its code (``child.name``), a material upload is ``material-<code>``, a problem of a one-time notice is
``problem:<target>``.
"""

from __future__ import annotations

from django import forms

from yijianshi.cases.domain.forms import FieldRule
from yijianshi.cases.models import Case, CaseMaterial, Rating
from yijianshi.catalog.models import Bundle, DataElement
from yijianshi.organizations.models import ServicePoint

ACCEPT_UPLOADS = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
EXTRA_PROBLEM_ROWS = 3  # free-text problems beyond the listed materials and fields, enough without JavaScript
KEY_VALUE_ROWS = 3


def _text(label, *, required=True, max_length=200, textarea=False, **attrs):
    widget = forms.Textarea(attrs={"rows": 3, **attrs}) if textarea else forms.TextInput(attrs={"autocomplete": "off",
                                                                                              **attrs})
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget,
                           error_messages={"required": f"{label}：必填",
                                           "max_length": f"{label}：不能超过 %(limit_value)d 个字"})


def _upload(label):
    return forms.FileField(label=label, required=False, widget=forms.FileInput(attrs={"accept": ACCEPT_UPLOADS}),
                           error_messages={"invalid": f"{label}：文件无效，请重新选择",
                                           "empty": f"{label}：文件是空的"})


# --- The merged application form -------------------------------------------------------------------------------

def elements_for(rules: list[FieldRule]) -> dict[str, DataElement]:
    return {e.code: e for e in DataElement.objects.filter(code__in=[r.element for r in rules])
            .select_related("source_department")}


def _merged_field(rule: FieldRule, element: DataElement | None) -> forms.Field:
    """One input for a data element. Every field is optional here: presence and format are judged by
    cases.domain.forms.clean_form, the same check the submission service makes."""
    label = rule.label if rule.required else f"{rule.label}（选填）"
    notes = []
    if element is not None and element.description:
        notes.append(element.description)
    if element is not None and element.source_department_id:
        # 一数一源: shown so the applicant knows the value will be checked against that department's record.
        notes.append(f"权威数据来源：{element.source_department.name}")
    help_text = "；".join(notes)
    choices = (rule.validation or {}).get("choices")
    if rule.data_type == "boolean":
        return forms.ChoiceField(label=label, required=False, help_text=help_text, choices=[("是", "是"), ("否", "否")],
                                 widget=forms.RadioSelect)
    if choices:
        return forms.ChoiceField(label=label, required=False, help_text=help_text,
                                 choices=[("", "请选择"), *[(c, c) for c in choices]])
    attrs = {"autocomplete": "off"}
    if rule.data_type == "date":
        attrs["type"] = "date"
    elif rule.data_type in ("id_number", "credit_code"):
        attrs.update(spellcheck="false", autocapitalize="characters", maxlength="18")
    elif rule.data_type == "phone":
        attrs.update(inputmode="tel", maxlength="13")
    elif rule.data_type in ("integer", "decimal"):
        attrs["inputmode"] = "decimal"
    if rule.data_type == "text":
        return forms.CharField(label=label, required=False, help_text=help_text,
                               widget=forms.Textarea(attrs={"rows": 3}))
    field = forms.CharField(label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs=attrs))
    if rule.data_type == "address":
        field.widget.attrs["class"] = "wide"
    return field


class MergedForm(forms.Form):
    """The one form of the bundle: the fields of every applicable sub-item, each data element asked once."""

    def __init__(self, *args, rules: list[FieldRule], elements: dict | None = None, locked: dict | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        elements = elements if elements is not None else elements_for(rules)
        for rule in rules:
            self.fields[rule.element] = _merged_field(rule, elements.get(rule.element))
        # 一数一源: values held from their authoritative source are shown read-only with where they come from.
        for code, held in (locked or {}).items():
            field = self.fields[code]
            field.disabled = True
            field.widget.attrs["class"] = (field.widget.attrs.get("class", "") + " locked").strip()
            origin = f"来自{held.source}" + (f"（电子证照 {held.evidence}）" if held.evidence else "")
            field.help_text = f"{origin}，已核验，不能修改"

    GROUPS = {"person": "申请人信息", "child": "子女信息", "spouse": "配偶（另一方父母）信息", "enterprise": "企业信息",
              "agent": "代理人信息", "employee": "职工信息", "deceased": "逝者信息"}

    def groups(self) -> list[tuple[str, list]]:
        """Fields grouped by whom they describe (the element's prefix), in first-asked order; the rest last."""
        grouped: dict[str, list] = {}
        for name in self.fields:
            prefix = name.split(".", 1)[0]
            title = self.GROUPS.get(prefix, "办理信息")
            grouped.setdefault(title, []).append(self[name])
        rest = grouped.pop("办理信息", None)
        return [*grouped.items(), *([("办理信息", rest)] if rest else [])]

    def raw_values(self) -> dict:
        """What was typed, untouched: clean_form judges it."""
        return {name: (self.data.get(name) or "").strip() for name in self.fields if self.data.get(name) is not None}


# --- 情形引导 --------------------------------------------------------------------------------------------------

class QuestionnaireForm(forms.Form):
    """One choice per question the applicant is asked now (follow-up questions appear once they apply)."""

    def __init__(self, *args, questions: list, **kwargs):
        super().__init__(*args, **kwargs)
        for q in questions:
            self.fields[q.id] = forms.ChoiceField(label=q.text, required=False, help_text=q.help,
                                                  choices=[(o.value, o.label) for o in q.choices],
                                                  widget=forms.RadioSelect)

    @staticmethod
    def posted_answers(data, questionnaire) -> dict:
        """The answers as posted; the questionnaire itself drops those to questions that are not asked."""
        return {q.id: data.get(q.id) for q in questionnaire.questions if data.get(q.id)}


# --- Materials, delivery ----------------------------------------------------------------------------------------

class MaterialsForm(forms.Form):
    """One upload per needed material; a 容缺 box for those that may follow later; the commitment."""

    commitment_signed = forms.BooleanField(
        label="本人已阅读并签署承诺书：所填信息和所交材料真实有效；选择容缺后补的材料，承诺在受理之日起 5 个工作日内补齐",
        required=False)

    def __init__(self, *args, needs: dict, tolerable: set, **kwargs):
        super().__init__(*args, **kwargs)
        for code, need in needs.items():
            self.fields[f"material-{code}"] = _upload(need["name"])
            if code in tolerable:
                self.fields[f"defer-{code}"] = forms.BooleanField(label="暂缺，容缺后补", required=False)


class DeliveryForm(forms.Form):
    delivery_method = forms.ChoiceField(label="请选择出件方式", choices=Case.Delivery.choices, initial=Case.Delivery.DOWNLOAD,
                                        widget=forms.RadioSelect, error_messages={"required": "出件方式：请选择"})
    pickup_point = forms.ModelChoiceField(label="领取网点（窗口领取时选择）", required=False, empty_label="请选择领取网点",
                                          queryset=ServicePoint.objects.none())
    delivery_address = _text("邮寄地址（邮寄送达时填写）", required=False, max_length=300, autocomplete="street-address",
                             placeholder="如：清涧县宽州镇秀延路 1 号 3 单元 201")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pickup_point"].queryset = ServicePoint.objects.filter(
            kind__in=[ServicePoint.Kind.COUNTY_CENTER, ServicePoint.Kind.TOWN_CENTER])

    def clean(self):
        data = super().clean()
        if data.get("delivery_method") == Case.Delivery.PICKUP and not data.get("pickup_point"):
            self.add_error("pickup_point", "领取网点：选择窗口领取时请选择网点")
        return data


class WalkInForm(forms.Form):
    """一窗受理: the clerk has the applicant's ID card in hand."""

    bundle = forms.ModelChoiceField(label="办理的“一件事”", queryset=Bundle.objects.none(), to_field_name="code",
                                    empty_label="请选择", error_messages={"required": "办理的“一件事”：请选择",
                                                                          "invalid_choice": "办理的“一件事”：请选择"})
    applicant_name = _text("申请人姓名", max_length=30)
    applicant_id_number = _text("申请人身份证号码", max_length=30, spellcheck="false")
    applicant_mobile = _text("申请人手机号码（选填，用于接收办件通知）", required=False, max_length=20, inputmode="tel")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A walk-in applicant is a person; enterprise bundles are applied for by the legal representative online.
        self.fields["bundle"].queryset = Bundle.objects.filter(subject=Bundle.Subject.INDIVIDUAL).order_by("number")
        self.fields["bundle"].label_from_instance = lambda bundle: bundle.name


# --- One-time notices and their answers -------------------------------------------------------------------------

def case_field_rules(case: Case) -> list[FieldRule]:
    from yijianshi.cases.plan import form_rules

    rows = list(case.bundle.bundle_items.select_related("item__published_version")
                .prefetch_related("item__published_version__form_fields__data_element"))
    return form_rules(rows, set((case.situation or {}).get("included", [])))


def target_labels(case: Case) -> dict[str, str]:
    """What a problem of a one-time notice can point at: the case's materials and its form's fields."""
    labels = {f"material:{m.material.code}": f"材料：{m.material.name}"
              for m in CaseMaterial.objects.filter(case=case).select_related("material").order_by("material__name")}
    labels.update({f"field:{rule.element}": f"填报项：{rule.label}" for rule in case_field_rules(case)})
    return labels


def problem_rows(problems: list[dict], labels: dict[str, str]) -> list[dict]:
    return [{"target": p.get("target", ""), "label": labels.get(p.get("target", ""), "其他"),
             "message": p.get("message", "")} for p in problems or []]


class ProblemsForm(forms.Form):
    """一次性告知: a line per material and per field (fill in only those with a problem), and a few free lines."""

    def __init__(self, *args, labels: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(labels.items())
        for target, label in self.targets:
            self.fields[f"problem:{target}"] = _text(label, required=False, max_length=500,
                                                     placeholder="无问题则留空")
        for n in range(EXTRA_PROBLEM_ROWS):
            self.fields[f"other-{n}"] = _text(f"其他问题 {n + 1}", required=False, max_length=500)

    def material_rows(self):
        return [self[f"problem:{t}"] for t, _ in self.targets if t.startswith("material:")]

    def field_rows(self):
        return [self[f"problem:{t}"] for t, _ in self.targets if t.startswith("field:")]

    def other_rows(self):
        return [self[f"other-{n}"] for n in range(EXTRA_PROBLEM_ROWS)]

    def problems(self) -> list[dict]:
        data = self.cleaned_data
        found = [{"target": t, "message": data[f"problem:{t}"].strip()} for t, _ in self.targets
                 if (data.get(f"problem:{t}") or "").strip()]
        found += [{"target": "", "message": data[f"other-{n}"].strip()} for n in range(EXTRA_PROBLEM_ROWS)
                  if (data.get(f"other-{n}") or "").strip()]
        return found


class RefuseForm(forms.Form):
    reason = _text("不予受理理由", max_length=500, textarea=True)
    legal_basis = _text("法律依据", max_length=300, placeholder="如：《中华人民共和国户口登记条例》第七条")


class DeliverForm(forms.Form):
    note = _text("出件说明（选填）", required=False, max_length=200, placeholder="如：已由申请人本人签收；EMS 单号 11xxxx")


class CorrectionForm(forms.Form):
    """The applicant's answer to the open notices: a new file for each material named, a value for each field."""

    def __init__(self, *args, problems: list[dict], rules: list[FieldRule], current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        by_element = {r.element: r for r in rules}
        elements = elements_for([by_element[t[6:]] for t in {p["target"] for p in problems}
                                 if t.startswith("field:") and t[6:] in by_element])
        self.material_codes, self.elements = [], []
        for problem in problems:
            target = problem["target"]
            if target.startswith("material:") and target[9:] not in self.material_codes:
                code = target[9:]
                self.material_codes.append(code)
                self.fields[f"material-{code}"] = _upload(problem["label"].removeprefix("材料："))
            elif target.startswith("field:") and target[6:] in by_element and target[6:] not in self.elements:
                element = target[6:]
                self.elements.append(element)
                self.fields[element] = _merged_field(by_element[element], elements.get(element))
                self.initial[element] = current.get(element, "")

    def form_values(self) -> dict:
        return {e: (self.data.get(e) or "").strip() for e in self.elements}


class FulfilForm(forms.Form):
    """容缺 materials supplied later."""

    def __init__(self, *args, materials: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = [code for code, _ in materials]
        for code, name in materials:
            self.fields[f"material-{code}"] = _upload(name)


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(label="您对本次服务的评价", coerce=int, widget=forms.RadioSelect,
                                   choices=sorted(Rating.Level.choices, reverse=True),
                                   error_messages={"required": "评价：请选择一项"})
    comment = _text("评价说明（不满意时必填）", required=False, max_length=1000, textarea=True)


class WithdrawForm(forms.Form):
    reason = _text("撤回原因（选填）", required=False, max_length=200)


# --- Department tasks ---------------------------------------------------------------------------------------------

class _KeyValueRows(forms.Form):
    """Key-value rows (a certificate number, data for the next sub-items) without JavaScript: a few blank rows."""

    ROWS = {"result": ("办理结果", "如：证照编号"), "output": ("传递给后续事项的数据", "数据元，如 wjj.birth_certificate_number")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prefix in self.ROWS:
            for n in range(KEY_VALUE_ROWS):
                self.fields[f"{prefix}_key_{n}"] = forms.CharField(required=False, max_length=60,
                                                                   label=f"{self.ROWS[prefix][0]} 第 {n + 1} 项名称")
                self.fields[f"{prefix}_value_{n}"] = forms.CharField(required=False, max_length=200,
                                                                     label=f"{self.ROWS[prefix][0]} 第 {n + 1} 项内容")

    def rows(self, prefix):
        return [(self[f"{prefix}_key_{n}"], self[f"{prefix}_value_{n}"]) for n in range(KEY_VALUE_ROWS)]

    def result_rows(self):
        return self.rows("result")

    def output_rows(self):
        return self.rows("output")

    def pairs(self, prefix) -> dict:
        data = self.cleaned_data
        return {data[f"{prefix}_key_{n}"].strip(): data[f"{prefix}_value_{n}"].strip() for n in range(KEY_VALUE_ROWS)
                if data.get(f"{prefix}_key_{n}", "").strip() and data.get(f"{prefix}_value_{n}", "").strip()}

    def clean(self):
        data = super().clean()
        for prefix, (label, _) in self.ROWS.items():
            for n in range(KEY_VALUE_ROWS):
                key = (data.get(f"{prefix}_key_{n}") or "").strip()
                value = (data.get(f"{prefix}_value_{n}") or "").strip()
                if bool(key) != bool(value):
                    self.add_error(f"{prefix}_value_{n}" if key else f"{prefix}_key_{n}",
                                   f"{label}第 {n + 1} 项：名称和内容须同时填写")
        return data


class ApproveForm(_KeyValueRows):
    opinion = _text("办理意见", max_length=2000, textarea=True, placeholder="如：材料齐全，符合法定条件，同意办理")


class TaskReturnForm(ProblemsForm):
    opinion = _text("退回意见", max_length=2000, textarea=True)


class TaskRefuseForm(forms.Form):
    opinion = _text("不予许可意见", max_length=2000, textarea=True)
    legal_basis = _text("法律依据", max_length=300)


class ExtendForm(forms.Form):
    days = forms.IntegerField(label="延长工作日数", min_value=1, max_value=30,
                              error_messages={"required": "延长天数：必填", "invalid": "延长天数：应为整数",
                                              "min_value": "延长天数：应在 1 到 30 个工作日之间",
                                              "max_value": "延长天数：应在 1 到 30 个工作日之间"})
    reason = _text("延期理由", max_length=300)


class VerifyForm(forms.Form):
    passed = forms.TypedChoiceField(label="核查结论", coerce=lambda v: v == "yes", widget=forms.RadioSelect,
                                    choices=[("yes", "核查通过"), ("no", "核查未通过（记入信用记录并撤销结果）")],
                                    error_messages={"required": "核查结论：请选择"})
    note = _text("核查意见", max_length=1000, textarea=True)
