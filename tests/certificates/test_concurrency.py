"""Certificates issued and revoked at the same moment: serial numbers and status-list positions never repeat, a
department gets one first key however many issue at once, and two leaders revoking one certificate make one
revocation (PostgreSQL; an in-memory SQLite test database is a single connection)."""

import threading

import pytest
from django.db import connection

from tests.certificates.conftest import EMPLOYMENT_CARD, load_types
from yijianshi.cases.services import Conflict
from yijianshi.certificates import services
from yijianshi.certificates.models import Certificate, CertificateEvent, SealKey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def real_connections(catalog):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite test database is one connection; the PostgreSQL run proves this")
    load_types()


def _together(work, count):
    start, outcomes = threading.Barrier(count), []

    def run(n):
        try:
            start.wait()
            outcomes.append(("ok", work(n)))
        except Conflict as conflict:
            outcomes.append(("conflict", conflict.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_simultaneous_issues_take_distinct_serials_and_positions_under_one_first_key(resident, seal_key_dir):
    outcomes = _together(lambda n: services.certificate_issue(type_code="employment-card", holder=resident.person,
                                                              data=EMPLOYMENT_CARD).pk, 6)
    assert [kind for kind, _ in outcomes] == ["ok"] * 6
    issued = Certificate.objects.all()
    year = issued[0].issued_on.year
    assert sorted(c.serial for c in issued) == [f"{year}{n:06d}" for n in range(1, 7)]
    assert len({c.status_list_index for c in issued}) == 6 and len({c.identifier for c in issued}) == 6
    [key] = SealKey.objects.all()
    assert {c.key_id for c in issued} == {key.key_id}
    assert [p.name for p in seal_key_dir.iterdir()] == [f"{key.key_id}.json"]  # no orphaned private key


def test_two_leaders_revoking_at_once_make_one_revocation(resident, make_staff):
    leaders = [make_staff(f"leader-rsj-{n}", "department_leader", department="rsj") for n in range(2)]
    card = services.certificate_issue(type_code="employment-card", holder=resident.person, data=EMPLOYMENT_CARD)
    outcomes = _together(lambda n: services.certificate_revoke(user=leaders[n], certificate=card,
                                                               reason=f"以欺骗手段取得（{n}）").pk, 2)
    assert sorted(kind for kind, _ in outcomes) == ["conflict", "ok"]
    assert "已吊销" in next(message for kind, message in outcomes if kind == "conflict")
    assert CertificateEvent.objects.filter(certificate=card, kind="revoked").count() == 1
