"""Rotating the personal-data key: old rows keep working, the command moves them to the new key."""

import base64

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests.conftest import RESIDENT_ID
from yijianshi.accounts.models import Person
from yijianshi.accounts.services import person_find
from yijianshi.privacy.crypto import key_id_of

pytestmark = pytest.mark.django_db
NEW_KEY = "new-2:" + base64.b64encode(b"n" * 32).decode()


def _stored_key_id(person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM accounts_person WHERE party_ptr_id = %s", [person.pk])
        return key_id_of(cursor.fetchone()[0])


def test_after_rotation_people_are_found_and_the_command_reencrypts_them(resident, settings):
    person = resident.person
    assert _stored_key_id(person) == "dev-1"
    with override_settings(PII_ENCRYPTION_KEYS=f"{NEW_KEY},{settings.PII_ENCRYPTION_KEYS}", PII_ACTIVE_KEY_ID="new-2"):
        assert person_find(RESIDENT_ID).pk == person.pk  # blind index unaffected by the cipher key
        assert Person.objects.get(pk=person.pk).id_number == RESIDENT_ID
        call_command("reencrypt_personal_data", stdout=open("/dev/null", "w"))
        assert _stored_key_id(person) == "new-2"
        call_command("reencrypt_personal_data", stdout=open("/dev/null", "w"))  # idempotent
    with override_settings(PII_ENCRYPTION_KEYS=NEW_KEY, PII_ACTIVE_KEY_ID="new-2"):
        fresh = Person.objects.get(pk=person.pk)  # the old key is retired and nothing needs it
        assert (fresh.id_number, fresh.mobile) == (RESIDENT_ID, "13800000001")
