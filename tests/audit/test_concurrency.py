"""Parallel writers never fork the chain: each append locks the head, so seqs stay contiguous and every link holds."""

import threading

import pytest
from django.db import close_old_connections, connection

from yijianshi.audit.models import AuditEvent
from yijianshi.audit.selectors import chain_verify
from yijianshi.audit.services import audit_record

WRITERS, EVENTS_EACH = 8, 25


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_never_fork_the_chain():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite test database is one connection; the PostgreSQL run proves this")
    start = threading.Barrier(WRITERS)
    errors = []

    def writer(n):
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                audit_record(action="test.parallel", object_type="test.writer", object_id=f"{n}-{i}")
        except Exception as exc:  # reported below: a failed append is a failed test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(AuditEvent.objects.filter(action="test.parallel").order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == WRITERS * EVENTS_EACH
    assert len(set(AuditEvent.objects.values_list("prev_hash", flat=True))) == AuditEvent.objects.count()
    result = chain_verify()
    assert result.ok, result.broken
