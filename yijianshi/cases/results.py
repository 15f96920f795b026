"""What an approved task produces besides its opinion: the enterprise a 设立登记 registers, the certificates its
item issues, and the facts it adds to people's and enterprises' files. Called inside task_approve's
transaction, so a failure here (a certificate lacking a field the officer must enter) leaves the task unapproved
rather than half-done."""

from __future__ import annotations

from django.utils import timezone

from yijianshi.accounts.services import enterprise_establish
from yijianshi.cases.models import Case, Task
from yijianshi.cases.selectors import case_form_data


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

    case = Case.objects.select_related("established_enterprise").get(pk=task.case_id)
    certificates_for_approved_task(task, actor=actor, holder=case.established_enterprise)


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
