"""What an approved task produces besides its opinion: the enterprise a 设立登记 registers, and (as the other
capabilities hook in) certificates and profile facts. Called inside task_approve's transaction, so a failure
here leaves the task unapproved rather than half-done."""

from __future__ import annotations

from django.utils import timezone

from yijianshi.accounts.services import enterprise_establish
from yijianshi.cases.models import Case, Task
from yijianshi.cases.selectors import case_form_data


def apply_task_results(task: Task, *, actor) -> dict:
    """Run the effects of an approved task; returns output data to merge into the task (flows to later tasks)."""
    case = task.case
    output: dict = {}
    if case.bundle.establishing_item_id == task.bundle_item.item_id and case.established_enterprise_id is None:
        output.update(_establish_enterprise(case, actor=actor))
    return output


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
