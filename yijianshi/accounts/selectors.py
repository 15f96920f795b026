"""Reads about identity and mandates."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from yijianshi.accounts.models import Enterprise, Mandate, Party, Person, User
from yijianshi.accounts.permissions import require_permission
from yijianshi.accounts.roles import Role


def principals_for(user) -> list[Party]:
    """Everyone the user may act for now: themself, enterprises they represent, principals of mandates in force
    (directly or through an agency they represent)."""
    person = getattr(user, "person", None) if user.is_authenticated else None
    if person is None:
        return []
    now = timezone.now()
    in_force = Q(status=Mandate.Status.ACTIVE, valid_from__lte=now, valid_until__gt=now)
    agencies = Enterprise.objects.filter(legal_representative=person).values("pk")
    principal_ids = set(Mandate.objects.filter(in_force, Q(agent=person) | Q(agent__in=agencies))
                        .values_list("principal_id", flat=True))
    principal_ids |= set(Enterprise.objects.filter(legal_representative=person).values_list("pk", flat=True))
    principal_ids.discard(person.pk)
    others = sorted(Party.objects.filter(pk__in=principal_ids), key=lambda p: (p.party_kind, p.display_name))
    return [person, *others]


def own_party(person: Person, principal: Party) -> Party | None:
    """Whose own data (their file, who read it, the policies matched from it) ``person`` sees while acting for
    ``principal``: themself, or an enterprise they represent or administer (as the concrete Person / Enterprise).
    None for anyone else: a mandate lets an agent apply for someone, not look into their file."""
    if principal.pk == person.pk:
        return person
    if principal.party_kind != Party.Kind.ENTERPRISE:
        return None
    enterprise = Enterprise.objects.get(pk=principal.pk)
    if enterprise.legal_representative_id == person.pk or \
            enterprise.mandate_administrators.filter(pk=person.pk).exists():
        return enterprise
    return None


def mandates_granted(principal: Party) -> QuerySet[Mandate]:
    return (Mandate.objects.filter(principal=principal).select_related("agent", "principal")
            .prefetch_related("bundles", "status_changes"))


def mandates_held(person: Person) -> QuerySet[Mandate]:
    return (Mandate.objects.filter(agent=person).select_related("agent", "principal")
            .prefetch_related("bundles"))


def enterprises_managed(person: Person) -> QuerySet[Enterprise]:
    """Enterprises whose mandates this person may manage (as legal representative or mandate administrator)."""
    return Enterprise.objects.filter(Q(legal_representative=person) | Q(mandate_administrators=person)).distinct()


def helpers() -> QuerySet[Person]:
    """People residents may choose as 帮办代办员: active staff holding the helper role."""
    return (Person.objects.filter(user__is_active=True, user__role_grants__role=Role.HELPER)
            .select_related("user").distinct().order_by("name"))


def staff_list(*, user) -> QuerySet[User]:
    require_permission(user, "staff.manage")
    return (User.objects.exclude(kind=User.Kind.PUBLIC).select_related("person")
            .prefetch_related("role_grants__department", "role_grants__service_point").order_by("username"))


def enterprise_by_credit_code(credit_code: str) -> Enterprise | None:
    """Exact match on a validated code (credit codes are public, stored in clear)."""
    return Enterprise.objects.filter(credit_code=credit_code).first()


def persons_by_mobile(mobile: str, limit: int = 20) -> list[Person]:
    """Everyone registered with this (validated) mobile; a family may share one."""
    from yijianshi.accounts.services import mobile_index

    return list(Person.objects.filter(mobile_index=mobile_index(mobile)).order_by("pk")[:limit])
