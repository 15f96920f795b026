"""专属服务空间: what a resident or an enterprise has with the platform, in one place — the things waiting for
them first, then their policies, cases, certificates, hotline requests, mandates and messages.

This app only reads, through the other apps' selectors; nothing depends on it. Whose data is shown follows the
pages it links to: an agent acting for someone under a mandate sees that person's cases and certificates (as on
我的办件 and 我的证照), but policies matched from someone's file only the person, or the enterprise's legal
representative and mandate administrators, see (as 我的档案); hotline requests and messages are always one's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from yijianshi.accounts.models import Mandate, Party, Person
from yijianshi.accounts.selectors import mandates_granted, mandates_held, own_party
from yijianshi.cases.models import Case, Commitment
from yijianshi.cases.selectors import cases_of
from yijianshi.certificates.models import Certificate
from yijianshi.certificates.selectors import certificates_of
from yijianshi.hotline.models import Ticket
from yijianshi.hotline.selectors import tickets_of_resident
from yijianshi.notifications.selectors import site_messages
from yijianshi.policies.models import Match
from yijianshi.policies.selectors import matches_for

RECENT = 5
CERTIFICATE_EXPIRY_WARNING = timedelta(days=30)
MANDATE_EXPIRY_WARNING = timedelta(days=7)


@dataclass
class ToDo:
    """Something waiting for the subject, with the page where they do it."""

    kind: str   # 办件 / 证照 / 诉求 / 政策 / 授权: the tag shown before the text
    text: str
    link: str


@dataclass
class Space:
    principal: Party
    is_person: bool
    own_file: bool            # may see what is matched from the principal's file (policies)
    acting_for_other: bool    # an agent acting for someone else
    to_do: list[ToDo] = field(default_factory=list)
    cases: list = field(default_factory=list)
    case_count: int = 0
    certificates: list = field(default_factory=list)
    certificate_count: int = 0
    tickets: list = field(default_factory=list)
    ticket_count: int = 0
    mandates_granted: list = field(default_factory=list)
    mandates_held: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    policies: list = field(default_factory=list)


def space_for(user, acting) -> Space:
    """The space of whoever ``user`` is acting for (``acting`` is the request's ActingContext)."""
    person = user.person
    principal = acting.principal.as_concrete()
    space = Space(principal=principal, is_person=isinstance(principal, Person),
                  own_file=own_party(person, principal) is not None, acting_for_other=principal.pk != person.pk)
    today = timezone.localdate()
    _cases(space, acting)
    _certificates(space, today)
    if not space.acting_for_other:
        _tickets(space, user)
    _mandates(space, person, today)
    if space.own_file:
        _policies(space)
    space.messages = list(site_messages(user, limit=RECENT))
    return space


def _cases(space: Space, acting) -> None:
    cases = cases_of(acting)
    space.case_count = cases.count()
    space.cases = list(cases[:RECENT])
    for case in cases.filter(status=Case.Status.CORRECTION_REQUESTED):
        space.to_do.append(ToDo("办件", f"“{case.bundle.name}”（{case.number}）需要补正材料，补正前办理时限暂停计算",
                                reverse("cases:detail", args=[case.number])))
    for commitment in (Commitment.objects.filter(case__in=cases, status=Commitment.Status.PENDING)
                       .select_related("case__bundle").order_by("due_date")):
        space.to_do.append(ToDo("办件", f"“{commitment.case.bundle.name}”的{commitment.get_kind_display()}承诺须在 "
                                        f"{commitment.due_date:%Y年%m月%d日} 前履行",
                                reverse("cases:detail", args=[commitment.case.number])))
    for case in cases.filter(status__in=[Case.Status.COMPLETED, Case.Status.DELIVERED], rating__isnull=True)[:RECENT]:
        space.to_do.append(ToDo("办件", f"“{case.bundle.name}”（{case.number}）已办结，请您评价这次服务",
                                reverse("cases:detail", args=[case.number]) + "#rating"))


def _certificates(space: Space, today) -> None:
    certificates = certificates_of(space.principal)
    space.certificate_count = certificates.count()
    space.certificates = list(certificates[:RECENT])
    for certificate in certificates.filter(status=Certificate.Status.VALID, valid_until__gte=today,
                                           valid_until__lte=today + CERTIFICATE_EXPIRY_WARNING):
        space.to_do.append(ToDo("证照", f"{certificate.type.name}将于 {certificate.valid_until:%Y年%m月%d日} 到期，"
                                        "请及时办理延续", reverse("certificates:detail", args=[certificate.pk])))


def _tickets(space: Space, user) -> None:
    tickets = tickets_of_resident(user)
    space.ticket_count = tickets.count()
    space.tickets = list(tickets[:RECENT])
    for ticket in tickets.filter(status=Ticket.Status.REPLIED):
        space.to_do.append(ToDo("诉求", f"12345 诉求（{ticket.number}）已答复，请您评价办理结果",
                                reverse("hotline:mine-detail", args=[ticket.number])))


def _mandates(space: Space, person: Person, today) -> None:
    now = timezone.now()
    active = dict(status=Mandate.Status.ACTIVE, valid_until__gt=now)
    granted = mandates_granted(space.principal).filter(**active).select_related("agent").order_by("valid_until")
    space.mandates_granted = list(granted)
    if not space.acting_for_other:
        space.mandates_held = list(mandates_held(person).filter(**active).select_related("principal")
                                   .order_by("valid_until"))
    for mandate in space.mandates_granted:
        if mandate.valid_until <= now + MANDATE_EXPIRY_WARNING:
            space.to_do.append(ToDo("授权", f"授权 {mandate.agent.masked_display_name} 代办将于 "
                                            f"{timezone.localtime(mandate.valid_until):%m月%d日} 到期",
                                    reverse("accounts:mandates")))


def _policies(space: Space) -> None:
    """免申即享 / 即申即享 matches from the principal's file; those waiting for a confirmation or an application."""
    space.policies = matches_for(space.principal)
    for match in space.policies:
        if match["status"] == Match.Status.MATCHED:
            verb = "确认后即可享受" if match["mode"] == "no_application" else "申请表已为您预填，核对后提交"
            space.to_do.append(ToDo("政策", f"您符合“{match['title']}”（{match['benefit']}），{verb}",
                                    match["links"]["detail"]))
