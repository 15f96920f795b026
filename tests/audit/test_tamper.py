"""Tampering done directly in the database: the triggers refuse it, and when an attacker drops them the verify
command names the first broken link."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from yijianshi.audit.db import install_append_only_triggers, remove_append_only_triggers
from yijianshi.audit.models import AuditEvent, ChainHead, Checkpoint
from yijianshi.audit.selectors import chain_verify
from yijianshi.audit.services import audit_record, checkpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    for n in range(6):
        audit_record(action="test.write", object_type="test.thing", object_id=n, reason=f"第 {n} 次",
                     after={"n": n, "名称": "清涧"})
    return list(AuditEvent.objects.order_by("seq"))


def _raw(sql, params=()):
    """What someone with database access and no respect for the rules does."""
    remove_append_only_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        install_append_only_triggers(connection)


def _verify_fails():
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
    return chain_verify()


def test_an_untouched_chain_verifies(chain):
    result = chain_verify()
    assert result.ok and result.events_checked == AuditEvent.objects.count()


@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"])
def test_the_database_refuses_update_and_delete(chain, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert chain_verify().ok


def test_the_orm_cannot_update_or_delete_either(chain):
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=chain[0].pk).delete()


def test_an_edited_reason_is_found(chain):
    target = chain[3]
    _raw("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改过的事由", target.seq])
    result = _verify_fails()
    assert result.broken.seq == target.seq and "被修改" in result.broken.reason


def test_an_edited_json_value_is_found(chain):
    target = chain[2]
    _raw("UPDATE audit_auditevent SET after = %s WHERE seq = %s", ['{"n": 42, "名称": "清涧"}', target.seq])
    assert _verify_fails().broken.seq == target.seq


def test_an_edit_with_a_recomputed_hash_is_found_by_the_next_link(chain):
    from yijianshi.audit.chain import event_hash

    target = chain[2]
    fields = {**target.hashed_fields(), "reason": "伪造"}
    _raw("UPDATE audit_auditevent SET reason = %s, hash = %s WHERE seq = %s", ["伪造", event_hash(fields), target.seq])
    result = _verify_fails()
    assert result.broken.seq == target.seq + 1 and "前一哈希" in result.broken.reason


def test_a_deleted_event_is_found(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [chain[1].seq])
    result = _verify_fails()
    assert result.broken.seq == chain[1].seq and "缺失" in result.broken.reason


def test_a_deleted_last_event_is_found_through_the_head(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [chain[-1].seq])
    result = _verify_fails()
    assert result.broken.seq == chain[-1].seq and "末尾" in result.broken.reason


def test_reordered_events_are_found(chain):
    a, b = chain[1], chain[2]
    _raw("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [a.seq])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [a.seq, b.seq])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [b.seq])
    result = _verify_fails()
    assert result.broken.seq == a.seq


def test_a_rewritten_chain_is_found_by_the_signed_checkpoint(chain):
    """Someone recomputes every hash after an edit: the links agree again, the signed head does not."""
    from yijianshi.audit.chain import GENESIS_HASH, event_hash

    assert checkpoint_create() is not None
    prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq"):
        fields = {**event.hashed_fields(), "prev_hash": prev}
        if event.seq == chain[1].seq:
            fields["reason"] = "伪造"
        new_hash = event_hash(fields)
        _raw("UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
             [fields["reason"], prev, new_hash, event.seq])
        prev = new_hash
    ChainHead.objects.filter(pk=1).update(hash=prev)
    result = _verify_fails()
    assert result.broken is None
    assert any("链被重写" in problem for problem in result.problems)


def test_a_forged_checkpoint_signature_is_found(chain):
    checkpoint = checkpoint_create()
    Checkpoint.objects.filter(pk=checkpoint.pk).update(head_hash="0" * 64)
    assert any("签名无效" in problem for problem in _verify_fails().problems)


def test_checkpoints_are_only_made_when_the_chain_moved(chain):
    assert checkpoint_create() is not None
    assert checkpoint_create() is None
    audit_record(action="test.write", object_type="test.thing")
    assert checkpoint_create().seq == chain[-1].seq + 1


def test_every_verification_run_is_kept_with_its_result(chain):
    from yijianshi.audit.models import VerificationRun
    from yijianshi.audit.services import verification_run

    assert verification_run().ok
    _raw("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改过的事由", chain[0].seq])
    _verify_fails()  # the command records its run too
    runs = list(VerificationRun.objects.all())
    assert [r.ok for r in runs] == [False, True]
    assert runs[0].broken_seq == chain[0].seq and runs[0].ran_by == "系统"
