"""Small database helpers shared by the apps."""

from __future__ import annotations

from django.db import models


def lock_or_create(model: type[models.Model], **key) -> models.Model:
    """The row with this primary key, locked for the rest of the transaction; created first if missing.
    Two transactions creating it at once both succeed (the loser's insert is ignored) and then queue on the lock,
    which is what serial numbers and the audit chain head need. Only the first use of a key pays for the insert."""
    rows = model.objects.select_for_update()
    try:
        return rows.get(**key)
    except model.DoesNotExist:
        model.objects.bulk_create([model(**key)], ignore_conflicts=True)
        return rows.get(**key)


def next_daily_serial(counter_model: type[models.Model], day) -> int:
    """Today's next serial from a (day primary key, last) counter table; the caller's transaction holds the lock."""
    counter = lock_or_create(counter_model, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last
