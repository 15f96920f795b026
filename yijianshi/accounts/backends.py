"""Log-in with an ID number, a mobile number or a staff login name, one password check per attempt."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from yijianshi.accounts.identity import IdentityError, parse_id_number, parse_mobile
from yijianshi.accounts.models import Person, User


def user_for_identifier(identifier: str) -> User | None:
    from yijianshi.accounts.services import id_number_index, mobile_index

    identifier = (identifier or "").strip()
    if not identifier:
        return None
    try:
        parsed = parse_id_number(identifier)
        person = Person.objects.select_related("user").filter(id_number_index=id_number_index(parsed.value)).first()
        return person.user if person else None
    except IdentityError:
        pass
    try:
        mobile = parse_mobile(identifier)
        # A mobile number may be shared (a family phone): it logs in only when it belongs to exactly one account.
        people = list(Person.objects.select_related("user").filter(mobile_index=mobile_index(mobile),
                                                                    user__isnull=False)[:2])
        return people[0].user if len(people) == 1 else None
    except IdentityError:
        pass
    return User.objects.filter(username=identifier).first()


class IdentifierBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = user_for_identifier(username)
        if user is None:
            User().set_password(password)  # same work as a real check, so timing does not reveal accounts
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
