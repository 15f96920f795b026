"""A model field whose value is encrypted in the database and plain text in Python."""

from __future__ import annotations

from django.db import models

from yijianshi.privacy import crypto


class EncryptedTextField(models.TextField):
    """Encrypted with the active key on save, decrypted on load. Not searchable: pair it with a blind index.

    The associated data is ``<app_label>.<model>.<field>`` so ciphertexts cannot be moved between columns.
    """

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        self._context = f"{cls._meta.label_lower}.{name}"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(str(value), self._context)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value, self._context)

    def get_lookup(self, lookup_name):
        # Equality on random-nonce ciphertext never matches; refuse loudly instead of returning nothing.
        if lookup_name not in ("isnull",):
            return None
        return super().get_lookup(lookup_name)
