"""What an approved task produces besides its opinion: the enterprise a 设立登记 registers, the certificates its
item issues, and the facts it adds to people's and enterprises' files. Called inside task_approve's
transaction, so a failure here (a certificate lacking a field the officer must enter) leaves the task unapproved
rather than half-done."""

from __future__ import annotations

from django.utils import timezone

from yijianshi.accounts.identity import IdentityError, parse_id_number
from yijianshi.accounts.models import Person
from yijianshi.accounts.services import enterprise_establish, person_ensure
from yijianshi.cases.models import Case, Task
from yijianshi.cases.selectors import case_form_data
from yijianshi.catalog.models import DataElement


def registrations_for(task: Task, *, actor) -> dict:
    """Before the approval is saved: register what the task creates (an enterprise); returns output data that
    flows to the later tasks (its credit code)."""
    case = task.case
    if case.bundle.establishing_item_id == task.bundle_item.item_id and case.established_enterprise_id is None:
        return _establish_enterprise(case, actor=actor)
    return {}


def results_of_approval(task: Task, *, actor) -> None:
    """Once the approval is saved: issue the item's certificates. In a 企业开办 case everything after the
    registration belongs to the new enterprise, not to the founder who applied."""
    from yijianshi.certificates.services import certificates_for_approved_task

    case = Case.objects.select_related("established_enterprise", "applicant").get(pk=task.case_id)
    certificates_for_approved_task(task, actor=actor, holder=case.established_enterprise)
    task = Task.objects.select_related("department", "item_version").get(pk=task.pk)
    values = {**case_form_data(case), **(task.output_data or {})}
    _record_in_file(case, task, values, actor=actor)
    _register_birth(case, task, values, actor=actor)


def results_revoked(task: Task, *, reason: str) -> None:
    """A result revoked after a broken commitment takes its certificates with it."""
    from yijianshi.certificates.services import certificate_revoke_for_task

    certificate_revoke_for_task(task, reason)


def _establish_enterprise(case: Case, *, actor) -> dict:
    form = case_form_data(case)
    enterprise = enterprise_establish(
        name=form.get("enterprise.name", ""), representative_name=form.get("enterprise.legal_representative", ""),
        representative_id_number=form.get("enterprise.legal_representative_id_number", ""),
        founder=case.applicant.as_concrete(), actor=actor, reason=f"办件 {case.number} 企业设立登记")
    Case.objects.filter(pk=case.pk).update(established_enterprise=enterprise)
    case.established_enterprise = enterprise
    return {"enterprise.name": enterprise.name, "enterprise.credit_code": enterprise.credit_code,
            "enterprise.established_date": timezone.localdate().isoformat()}


def _record_in_file(case: Case, task: Task, values: dict, *, actor) -> None:
    """一人一档 / 一企一档: the department that approved records, in the holder's file, what its item collected
    and decided — only the profile elements it is the source of or that applicants state themselves (一数一源);
    a 企业开办 fills the new enterprise's file. A value the file already holds records nothing."""
    from yijianshi.profiles.selectors import recordable_codes
    from yijianshi.profiles.services import profile_record_many

    holder = (case.established_enterprise or case.applicant).as_concrete()
    own = set(task.item_version.form_fields.values_list("data_element__code", flat=True)) | set(task.output_data or {})
    codes = recordable_codes(task.department, holder.party_kind) & own
    facts = {code: values[code] for code in sorted(codes) if values.get(code) not in (None, "")}
    if facts:
        profile_record_many(party=holder, values=facts, source_department=task.department, source="case",
                            evidence=case.number, actor=actor)


def _register_birth(case: Case, task: Task, values: dict, *, actor) -> None:
    """户口登记 gives the newborn a citizen ID number: the child becomes a person of the platform and a child in
    the files of the parent who applied and of the other parent named on the form. Only the department that is
    the source of the child's ID number (公安) does this."""
    from yijianshi.profiles.services import relation_record

    id_number, name = values.get("child.id_number"), values.get("child.name")
    element = DataElement.objects.filter(code="child.id_number").only("source_department_id").first()
    if not id_number or not name or element is None or element.source_department_id != task.department_id:
        return
    child = person_ensure(name=name, id_number=id_number, actor=actor, reason=f"办件 {case.number} 出生登记")
    parents = [case.applicant.as_concrete()]
    other_name, other_id = values.get("spouse.name"), values.get("spouse.id_number")
    if other_name and other_id:
        try:
            parse_id_number(other_id)
        except IdentityError:
            pass  # the form checked it; an unreadable number names no parent to record
        else:
            parents.append(person_ensure(name=other_name, id_number=other_id, actor=actor,
                                         reason=f"办件 {case.number} 出生登记（另一方父母）"))
    for parent in parents:
        if isinstance(parent, Person) and parent.pk != child.pk:
            relation_record(person=parent, relative=child, kind="child", source_department=task.department,
                            source="case", evidence=case.number, actor=actor)
