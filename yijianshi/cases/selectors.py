"""Reads about cases: an applicant's own cases, a department's queue, one case's status and timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from yijianshi.accounts.models import Enterprise, Person
from yijianshi.accounts.permissions import departments_with, has_permission
from yijianshi.accounts.services import ActingContext
from yijianshi.cases.domain.forms import Authoritative
from yijianshi.cases.models import Case, CaseEvent, Task
from yijianshi.catalog.models import DataElement


def cases_of(context: ActingContext) -> QuerySet[Case]:
    """The principal's cases (what an applicant, or their agent, sees)."""
    return (Case.objects.filter(applicant=context.principal).select_related("bundle")
            .order_by("-submitted_at"))


def case_for_applicant(context: ActingContext, number: str) -> Case:
    case = cases_of(context).filter(number=number).first()
    if case is None:
        raise Http404("没有这个办件")
    return case


def staff_may_see(user, case: Case) -> bool:
    """Window clerks and supervisors see every case; department staff see the cases they have a task in."""
    if has_permission(user, "case.accept") or has_permission(user, "supervision.view"):
        return True
    departments = departments_with(user, "task.process")
    return bool(departments) and (case.bundle.lead_department_id in departments
                                  or case.tasks.filter(department_id__in=departments).exists())


def case_for_staff(user, number: str) -> Case:
    case = Case.objects.select_related("bundle", "applicant").filter(number=number).first()
    if case is None or not staff_may_see(user, case):
        raise Http404("没有这个办件，或您无权查看")
    return case


def prereview_queue(user) -> QuerySet[Case]:
    """Cases waiting for pre-review: all of them for window clerks, the lead department's for its officers."""
    waiting = Case.objects.filter(status=Case.Status.SUBMITTED).select_related("bundle").order_by("submitted_at")
    if has_permission(user, "case.accept"):
        return waiting
    return waiting.filter(bundle__lead_department_id__in=departments_with(user, "task.process"))


def task_queue(user, status: str | None = None) -> QuerySet[Task]:
    """Only the tasks of the user's own departments (a department officer sees nothing else)."""
    tasks = (Task.objects.filter(department_id__in=departments_with(user, "task.process"))
             .select_related("case", "case__bundle", "item_version", "department", "claimed_by")
             .order_by("due_date", "pk"))
    if status:
        tasks = tasks.filter(status=status)
    else:
        tasks = tasks.filter(status__in=[Task.Status.READY, Task.Status.CLAIMED, Task.Status.RETURNED])
    return tasks


def task_for_staff(user, task_id: int) -> Task:
    task = (Task.objects.select_related("case", "case__bundle", "item_version", "department", "claimed_by")
            .filter(pk=task_id, department_id__in=departments_with(user, "task.process")).first())
    if task is None:
        raise Http404("没有这个任务，或不属于您的部门")
    return task


def timeline(case: Case, *, internal: bool) -> list[CaseEvent]:
    events = case.events.select_related("task__item_version", "actor")
    return list(events if internal else events.filter(internal=False))


@dataclass
class TaskView:
    task: Task
    prerequisites: list[str]
    inputs: dict  # output data of the prerequisites: what flows into this task


def task_inputs(task: Task) -> dict:
    data = {}
    for prerequisite in task.prerequisites.filter(status=Task.Status.APPROVED):
        data.update(prerequisite.output_data or {})
    return data


def case_form_data(case: Case) -> dict:
    return json.loads(case.form_data or "{}")


def case_status(case: Case, *, internal: bool = False) -> dict:
    """Everything a status page or the API shows: the case, each department's progress, the timeline."""
    tasks = (case.tasks.select_related("item_version__item", "department")
             .prefetch_related("prerequisites__item_version"))
    return {
        "number": case.number,
        "bundle": {"code": case.bundle.code, "name": case.bundle.name},
        "status": case.status,
        "status_label": case.get_status_display(),
        "channel": case.channel,
        "submitted_at": case.submitted_at,
        "due_date": case.due_date,
        "legal_due_date": case.legal_due_date,
        "alert_level": case.alert_level,
        "delivery_method": case.delivery_method,
        "situation": case.situation,
        "tasks": [{
            "id": t.pk, "item_code": t.item_version.item.code, "item_name": t.item_version.name, "department": t.department.name,
            "status": t.status, "status_label": t.get_status_display(), "due_date": t.due_date,
            "after": [p.item_version.name for p in t.prerequisites.all()], "result": t.result,
            "result_revoked": t.result_revoked, "opinion": t.opinion,
        } for t in tasks],
        "open_notices": [{"id": n.pk, "problems": n.problems, "issued_at": n.issued_at}
                         for n in case.notices.filter(resolved_at__isnull=True)],
        "commitments": [{"id": c.pk, "kind": c.kind, "status": c.status, "due_date": c.due_date,
                         "materials": c.materials, "items": c.items} for c in case.commitments.all()],
        "rating": ({"level": case.rating.level, "label": case.rating.get_level_display()}
                   if hasattr(case, "rating") else None),
        "timeline": [{"at": e.at, "kind": e.kind, "message": e.message, "internal": e.internal}
                     for e in timeline(case, internal=internal)],
    }


def prefill(context: ActingContext, elements) -> dict:
    """Values the platform already knows for the form: the principal's own record, then what they wrote in their
    latest case. Only the elements asked for. An agent acting for a person gets nothing filled in (they type
    what they were given) so applying never becomes a way to read someone's data."""
    from yijianshi.accounts.models import Enterprise, Person

    principal = context.principal.as_concrete()
    if isinstance(principal, Person) and context.on_behalf:
        return {}
    known: dict = {}
    if isinstance(principal, Person):
        known.update({"person.name": principal.name, "person.id_number": principal.id_number,
                      "person.mobile": principal.mobile, "person.birth_date": principal.birth_date.isoformat(),
                      "person.gender": {"male": "男", "female": "女"}.get(principal.gender, "")})
    elif isinstance(principal, Enterprise):
        known.update({"enterprise.name": principal.name, "enterprise.credit_code": principal.credit_code,
                      "enterprise.legal_representative": principal.legal_representative.name})
    latest = Case.objects.filter(applicant=context.principal).order_by("-submitted_at").first()
    wanted = set(elements)
    values = {k: v for k, v in (case_form_data(latest) if latest else {}).items() if k in wanted}
    values.update({k: v for k, v in known.items() if k in wanted and v})
    return values


def authoritative_values(principal) -> dict:
    """element code -> Authoritative: what the platform holds about the principal from the source the catalog
    names for that element (一数一源). Identity comes from the real-name register, an enterprise's registration
    from the enterprise register; only elements whose data element has a source department are included."""
    party = principal.as_concrete()
    values: dict = {}
    if isinstance(party, Person):
        values = {"person.name": party.name, "person.id_number": party.id_number,
                  "person.birth_date": party.birth_date.isoformat(),
                  "person.gender": {"male": "男", "female": "女"}.get(party.gender, "")}
    elif isinstance(party, Enterprise):
        representative = party.legal_representative
        values = {"enterprise.name": party.name, "enterprise.credit_code": party.credit_code,
                  "enterprise.legal_representative": representative.name,
                  "enterprise.legal_representative_id_number": representative.id_number}
    sources = {e.code: e.source_department.name for e in DataElement.objects.filter(
        code__in=values, source_department__isnull=False).select_related("source_department")}
    known = {code: Authoritative(value, sources[code]) for code, value in values.items() if code in sources and value}
    for code, held in _from_profile(party).items():
        known.setdefault(code, held)  # the identity and enterprise registers come first
    return known


def _from_profile(party) -> dict:
    """The principal's 一人一档 / 一企一档 facts that came from the element's own source department (a feed or a
    completed case of that department); what anyone else recorded is not authoritative."""
    from yijianshi.profiles.selectors import profile_current

    if party is None:
        return {}
    known = {}
    for code, fact in profile_current(party).items():
        element = fact.element
        if element.source_department_id is None or fact.source_department_id != element.source_department_id:
            continue
        value = fact.data
        if value in (None, "") or isinstance(value, (list, dict)):
            continue
        known[code] = Authoritative(value, fact.source_department.name, fact.evidence)
    return known


def certificates_on_file(principal) -> dict:
    """certificate type name -> the principal's latest valid e-certificate of that type (the library a case takes
    免提交 materials from)."""
    from yijianshi.certificates.selectors import valid_certificates_of

    on_file: dict = {}
    for certificate in valid_certificates_of(principal):  # newest first
        on_file.setdefault(certificate.type.name, certificate)
    return on_file


def rectifications_for(user):
    """Open 差评整改 of the user's departments, oldest deadline first."""
    from yijianshi.cases.models import RectificationTask

    return (RectificationTask.objects.filter(department_id__in=departments_with(user, "task.process"),
                                             status=RectificationTask.Status.OPEN)
            .select_related("rating__case__bundle", "rating__hall_ticket__window",
                            "rating__hall_ticket__service_point", "department").order_by("due_date"))


def rating_appeals():
    """Ratings their department appealed: undecided first (oldest first), then the last decided."""
    from yijianshi.cases.models import Rating

    rows = Rating.objects.filter(appealed_at__isnull=False).select_related(
        "case__bundle", "hall_ticket__window__department", "hall_ticket__service_point", "appealed_by", "decided_by")
    return (list(rows.filter(appeal_decision="").order_by("appealed_at")),
            list(rows.exclude(appeal_decision="").order_by("-appealed_at")[:50]))
