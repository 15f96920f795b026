"""Encryption at rest: AES-GCM with a key id, bound to its column; a blind index for exact look-up."""

import base64

import pytest
from django.db import connection
from django.test import override_settings

from yijianshi.privacy import crypto
from yijianshi.privacy.keys import _ring

OLD = "old-1:" + base64.b64encode(b"o" * 32).decode()
NEW = "new-2:" + base64.b64encode(b"n" * 32).decode()
INDEX = base64.b64encode(b"i" * 32).decode()


def test_a_value_round_trips_and_the_stored_form_names_its_key():
    stored = crypto.encrypt("610830194001010096", "accounts.person.id_number")
    assert stored.startswith("v1:dev-1:") and "610830" not in stored
    assert crypto.decrypt(stored, "accounts.person.id_number") == "610830194001010096"


def test_the_same_value_encrypts_differently_each_time():
    assert crypto.encrypt("13800000001", "c") != crypto.encrypt("13800000001", "c")


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    stored = crypto.encrypt("13800000001", "accounts.person.mobile")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, "accounts.person.id_number")


def test_a_tampered_ciphertext_does_not_decrypt():
    prefix, key_id, payload = crypto.encrypt("13800000001", "c").split(":")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{prefix}:{key_id}:{base64.b64encode(bytes(raw)).decode()}", "c")


def test_after_rotation_old_values_still_decrypt_and_new_ones_use_the_new_key():
    _ring.cache_clear()
    with override_settings(PII_ENCRYPTION_KEYS=OLD, PII_ACTIVE_KEY_ID="old-1", PII_INDEX_KEY=INDEX):
        old_value = crypto.encrypt("610830194001010096", "c")
    with override_settings(PII_ENCRYPTION_KEYS=f"{NEW},{OLD}", PII_ACTIVE_KEY_ID="new-2", PII_INDEX_KEY=INDEX):
        assert crypto.decrypt(old_value, "c") == "610830194001010096"
        assert crypto.key_id_of(crypto.encrypt("x", "c")) == "new-2"
    with override_settings(PII_ENCRYPTION_KEYS=NEW, PII_ACTIVE_KEY_ID="new-2", PII_INDEX_KEY=INDEX):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(old_value, "c")  # a retired key must really be gone


def test_blind_index_is_stable_per_purpose_and_keyed():
    assert crypto.blind_index("13800000001", "mobile") == crypto.blind_index("13800000001", "mobile")
    assert crypto.blind_index("13800000001", "mobile") != crypto.blind_index("13800000001", "id_number")
    with_dev_key = crypto.blind_index("13800000001", "mobile")
    with override_settings(PII_INDEX_KEY=INDEX):
        assert crypto.blind_index("13800000001", "mobile") != with_dev_key


@pytest.mark.django_db
def test_the_database_holds_no_id_or_mobile_number_in_clear(resident):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile, id_number_index FROM accounts_person WHERE party_ptr_id = %s",
                       [resident.person.pk])
        id_number, mobile, index = cursor.fetchone()
    assert resident.person.id_number not in id_number and resident.person.mobile not in mobile
    assert id_number.startswith("v1:") and len(index) == 64
