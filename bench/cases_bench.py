"""Case benchmark on PostgreSQL: how many applications per second `case_submit` takes, and how fast the status of
one case (`GET /api/v1/applications/{number}`) answers when the table holds a thousand and a million cases.

    .venv/bin/python bench/cases_bench.py [--database-url postgres://postgres@127.0.0.1:5432/cases_bench]
        [--applicants 20] [--seconds 20] [--sizes 1000,1000000] [--requests 300] [--keep]

The database named in the URL is a scratch database: it is dropped and created at the start and dropped at the
end (unless --keep). Synthetic cases are written with bulk_create in batches up to 10 000 and with COPY beyond
(secondary indexes dropped and rebuilt, foreign-key triggers off when connected as a superuser); their tasks,
prerequisite links, timeline events, materials, notices, commitments and ratings follow the bundles' real
structure and a realistic mix of statuses. Latency is measured through the Django test client (the full request:
middleware, authentication, API, serialisation; no network), for random synthetic cases, as their applicant and
as a window clerk, plus an applicant's list and a department's queue. Finally every query of one status request
is EXPLAINed and any sequential scan of a case table is reported. About 4–5 minutes with the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
BULK_BATCH = 2000
STATUS_MIX = [  # a mature platform: most cases are long finished
    ("delivered", 70), ("completed", 4), ("accepted", 13), ("submitted", 3), ("correction_requested", 2),
    ("refused", 3), ("withdrawn", 5)]


def _scratch_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an odd database name: {name!r}")
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/cases_bench")
    parser.add_argument("--applicants", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("this benchmark needs PostgreSQL (--database-url postgres://…)")

    _scratch_database(args.database_url)
    try:
        with tempfile.TemporaryDirectory() as uploads:
            return _run(args, sizes, uploads)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _scratch_database(args.database_url, drop_only=True)


def _run(args, sizes: list[int], uploads: str) -> int:
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "yijianshi.settings.test"
    os.environ["UPLOAD_ROOT"] = uploads
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # the 2027 work-calendar warning would print once per case
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # collected static files: not needed here

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, in-memory mail
    settings.UPLOAD_ROOT = Path(uploads)
    # A long-lived connection, as in production: reconnecting per request would measure the wrong thing.
    connection.settings_dict["CONN_MAX_AGE"] = None

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_catalog", verbosity=0, stdout=open(os.devnull, "w"))
    print(f"database: PostgreSQL {connection.cursor().connection.info.server_version}; migrated and catalog "
          f"loaded in {time.perf_counter() - t0:.1f} s")

    world = _world(args.applicants)
    _bench_submit(world, args.seconds)
    from django.db.models import Max

    from yijianshi.cases.models import Case as _Case

    # Reads sample the synthetic cases only: the ones just submitted are all 待预审, without tasks yet.
    world.first_synthetic = (_Case.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    for size in sizes:
        t0 = time.perf_counter()
        from yijianshi.cases.models import Case

        have = Case.objects.count()
        how = "nothing to add"
        if size > have and size <= 10_000:
            _synthesise(world, size - have, _write_bulk_create)
            how = "bulk_create in batches of %d" % BULK_BATCH
        elif size > have:
            how = _bulk_load(world, size - have)
        with connection.cursor() as cursor:
            for table in COLUMNS:
                cursor.execute(f"ANALYZE {table}")
            cursor.execute("SELECT pg_size_pretty(sum(pg_total_relation_size(quote_ident(t)))) "
                           "FROM unnest(%s::text[]) t", [list(COLUMNS)])
            on_disk = cursor.fetchone()[0]
        counts = {t.split("_", 1)[1]: _count(t) for t in ("cases_task", "cases_caseevent", "cases_casematerial")}
        print(f"\n== {Case.objects.count()} cases ({', '.join(f'{v} {k}s' for k, v in counts.items())}; "
              f"{on_disk} with indexes) ==\n   filled in {time.perf_counter() - t0:.0f} s: {how}; then ANALYZE")
        _bench_reads(world, args.requests)
    _explain(world)
    return 0


# --- the people -------------------------------------------------------------------------------------------------

class World:
    pass


def _world(applicants: int) -> World:
    from stdnum.cn import ric

    from yijianshi.accounts.services import GrantSpec, acting_context, resident_sign_up, staff_account_create
    from yijianshi.accounts.services import system_admin_bootstrap
    from yijianshi.organizations.models import Department, ServicePoint

    def id_number(birth: str, serial: int) -> str:
        base = f"610830{birth}{serial:03d}"
        return base + ric.calc_check_digit(base + "0")

    w = World()
    t0 = time.perf_counter()
    admin = system_admin_bootstrap(username="bench-admin", name="王建国", id_number=id_number("19700101", 1),
                                   mobile="13990000001", password="Bench-password-2026")
    surnames, given = "张李王刘高白惠薛", "桂兰小军丽华建国秀英志强海燕红梅"
    w.users = [resident_sign_up(name=surnames[n % 8] + given[n % 15] + given[(n // 15) % 15],
                                id_number=id_number("19850101", n),
                                mobile=f"138{n:08d}", password="Bench-password-2026") for n in range(applicants)]
    w.contexts = [acting_context(u) for u in w.users]
    w.clerk = staff_account_create(user=admin, username="bench-clerk", name="刘明", password="Bench-password-2026",
                                   id_number=id_number("19900101", 2), mobile="13990000002",
                                   grants=[GrantSpec("window_clerk", None,
                                                     ServicePoint.objects.get(code="county-hall").pk)])
    w.officer = staff_account_create(user=admin, username="bench-officer", name="李强", password="Bench-password-2026",
                                     id_number=id_number("19900101", 3), mobile="13990000003",
                                     grants=[GrantSpec("department_officer", Department.objects.get(code="gaj").pk,
                                                       None)])
    print(f"{applicants} applicants, a window clerk and a 公安局 officer created in {time.perf_counter() - t0:.1f} s")
    return w


# --- writes through the service ---------------------------------------------------------------------------------

def _bench_submit(w: World, seconds: float) -> None:
    from tests.cases import helpers
    from yijianshi.cases.services import case_submit

    from yijianshi.cases.models import FileUpload

    submissions = [helpers.submission(code, files=helpers.store_materials(code, owner=w.users[0]))
                   for code in ("newborn", "resale-housing-transfer")]
    # Every applicant may attach the shared sample files, as if each had uploaded them.
    FileUpload.objects.bulk_create([FileUpload(user=user, file_id=file_id) for user in w.users
                                    for s in submissions for file_id in s.materials.values()],
                                   ignore_conflicts=True)
    started = time.perf_counter()
    n, latencies = 0, []
    while time.perf_counter() - started < seconds:
        t = time.perf_counter()
        case, created = case_submit(context=w.contexts[n % len(w.contexts)], submission=submissions[n % 2],
                                    idempotency_key=uuid.uuid4().hex)
        assert created
        latencies.append(time.perf_counter() - t)
        n += 1
    elapsed = time.perf_counter() - started
    print(f"\ncase_submit (新生儿出生 and 二手房过户 alternately, one transaction each, single process): {n} cases in "
          f"{elapsed:.1f} s = {n / elapsed:.1f} cases/s; p50 {_percentile(latencies, 50) * 1000:.1f} ms, "
          f"p95 {_percentile(latencies, 95) * 1000:.1f} ms")


# --- synthetic cases --------------------------------------------------------------------------------------------

def _bundle_shapes() -> list[dict]:
    """For each individual bundle: its items in an order where prerequisites come first (department, days,
    prerequisites) and the required materials of the whole application."""
    from yijianshi.catalog.models import Bundle

    shapes = []
    for bundle in Bundle.objects.filter(subject=Bundle.Subject.INDIVIDUAL).prefetch_related(
            "bundle_items__item__published_version__materials", "bundle_items__prerequisites"):
        rows = [r for r in bundle.bundle_items.all() if r.item.published_version is not None]
        ids = {r.pk for r in rows}
        ordered, placed = [], set()
        while len(ordered) < len(rows):  # topological order (the catalog guarantees no cycles)
            for r in rows:
                needs = {p.pk for p in r.prerequisites.all() if p.pk in ids}
                if r.pk not in placed and needs <= placed:
                    ordered.append(r)
                    placed.add(r.pk)
        items = [{"row": r.pk, "version": r.item.published_version.pk,
                  "department": r.item.published_version.department_id,
                  "days": r.item.published_version.promised_time_limit_days,
                  "name": r.item.published_version.name,
                  "after": [p.pk for p in r.prerequisites.all() if p.pk in ids]} for r in ordered]
        materials = list(dict.fromkeys(m.material_id for r in ordered
                                       for m in r.item.published_version.materials.all() if m.required))
        if items:
            shapes.append({"id": bundle.pk, "items": items, "materials": materials[:8],
                           "days": sum(i["days"] for i in items)})
    return shapes


# Column lists in table order; checked against the models so a schema change fails loudly here, not in COPY.
COLUMNS = {
    "cases_case": ["id", "number", "bundle_id", "applicant_id", "submitted_by_id", "mandate_id", "channel", "status",
                   "answers", "situation", "form_data", "idempotency_key", "delivery_method", "delivery_address",
                   "pickup_point_id", "promised_days", "legal_days", "submitted_at", "accepted_at", "accepted_on",
                   "due_date", "legal_due_date", "alert_level", "completed_at", "delivered_at"],
    "cases_task": ["id", "case_id", "bundle_item_id", "item_version_id", "department_id", "status", "claimed_by_id",
                   "started_on", "promised_days", "extension_days", "due_date", "alert_level", "opinion", "result",
                   "output_data", "result_revoked", "completed_at"],
    "cases_task_prerequisites": ["from_task_id", "to_task_id"],
    "cases_caseevent": ["case_id", "task_id", "at", "actor_id", "kind", "message", "internal"],
    "cases_casematerial": ["case_id", "material_id", "file_id", "file_name", "status", "note"],
    "cases_rating": ["case_id", "level", "comment", "rated_by_id", "rated_at", "appeal_reason", "appealed_by_id",
                     "appealed_at", "appeal_decision", "appeal_decision_reason", "decided_by_id", "hall_ticket_id"],
    "cases_correctionnotice": ["case_id", "task_id", "problems", "issued_by_id", "issued_at", "resolved_at"],
    "cases_clockpause": ["case_id", "paused_on", "resumed_on", "reason"],
    "cases_commitment": ["case_id", "kind", "materials", "items", "letter", "signed_at", "due_date", "status",
                         "verified_by_id", "verified_at", "verification_note"],
}
JSON_COLUMNS = {"answers", "situation", "result", "output_data", "problems", "materials", "items"}


def _models() -> dict:
    from yijianshi.cases.models import (
        Case, CaseEvent, CaseMaterial, ClockPause, Commitment, CorrectionNotice, Rating, Task)

    models = {m._meta.db_table: m for m in (Case, Task, CaseEvent, CaseMaterial, Rating, CorrectionNotice,
                                            ClockPause, Commitment, Task.prerequisites.through)}
    for table, columns in COLUMNS.items():
        expected = {f.column for f in models[table]._meta.concrete_fields} - ({"id"} - set(columns))
        assert set(columns) == expected, (table, sorted(expected ^ set(columns)))
    return models


def _synthesise(w: World, count: int, writer) -> None:
    """Generate `count` cases with a realistic mix of statuses and everything a case has: tasks following the
    bundle's 前后置 order, prerequisite links, timeline events, materials, one-time notices with their clock
    pauses, 容缺 commitments and ratings. Handed to `writer` in batches of table -> rows."""
    from django.db import connection
    from django.utils import timezone

    from yijianshi.cases import storage
    from yijianshi.cases.models import Case

    _models()
    rng = random.Random(count)
    shapes = _bundle_shapes()
    form = Case._meta.get_field("form_data").get_prep_value(json.dumps(
        {"person.name": "张桂兰", "person.id_number": "610830194001010096", "child.name": "张小宝"},
        ensure_ascii=False))  # one ciphertext, decryptable, shared by all synthetic rows
    files = [storage.store(f"%PDF-1.4 synthetic {n}".encode(), owner=w.users[0]).pk for n in range(4)]
    statuses = [s for s, weight in STATUS_MIX for _ in range(weight)]
    applicants = [c.principal.pk for c in w.contexts]
    submitters = [u.pk for u in w.users]
    officer, clerk = w.officer.pk, w.clerk.pk
    situation = json.dumps({"included": [], "excluded": [], "reasons": {}})
    problems = json.dumps([{"target": "material:id-card", "message": "身份证：照片不清晰，请重新上传"},
                           {"target": "field:person.mobile", "message": "手机号码：无法接通，请核对"}],
                          ensure_ascii=False)

    def next_ids(table, n):
        # Ids come from the table's own sequence, so later inserts by the ORM never collide.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",
                           [n])
            return [r[0] for r in cursor.fetchall()]

    now = timezone.now()
    serial = Case.objects.count()
    remaining = count
    batch_size = BULK_BATCH if writer is _write_bulk_create else 50_000
    while remaining:
        n = min(batch_size, remaining)
        remaining -= n
        rows = {table: [] for table in COLUMNS}
        cases, events, plans = rows["cases_case"], rows["cases_caseevent"], []
        for case_id in next_ids("cases_case", n):
            serial += 1
            shape = shapes[rng.randrange(len(shapes))]
            status = rng.choice(statuses)
            submitted = now - timedelta(days=rng.uniform(1, 1000), seconds=rng.randrange(86400))
            day = timezone.localtime(submitted).date()
            accepted = status in ("accepted", "completed", "delivered")
            done = status in ("completed", "delivered")
            who = rng.randrange(len(applicants))
            cases.append((
                case_id, f"QJ{day:%Y%m%d}{serial:06d}", shape["id"], applicants[who], submitters[who], None,
                rng.choice(("online", "online", "online", "window", "agent")), status, "{}", situation, form,
                uuid.uuid4().hex, "download", "", None, shape["days"], shape["days"] * 2, submitted,
                submitted + timedelta(hours=2) if accepted else None, day if accepted else None,
                day + timedelta(days=shape["days"] * 7 // 5 + 1), None, "",
                submitted + timedelta(days=2) if done else None,
                submitted + timedelta(days=2) if status == "delivered" else None))
            events.append((case_id, None, submitted, None, "submitted", "提交申请", False))
            for k, material in enumerate(shape["materials"]):
                rows["cases_casematerial"].append((case_id, material, files[k % len(files)], "材料.pdf", "provided",
                                                   ""))
            if status == "correction_requested" or rng.random() < 0.06:  # 一次告知, answered unless still open
                open_ = status == "correction_requested"
                resolved = None if open_ else submitted + timedelta(days=1)
                rows["cases_correctionnotice"].append((case_id, None, problems, clerk,
                                                       submitted + timedelta(hours=1), resolved))
                rows["cases_clockpause"].append((case_id, day, None if open_ else day + timedelta(days=1),
                                                 "一次告知"))
            if rng.random() < 0.03:
                rows["cases_commitment"].append((
                    case_id, "deficiency", json.dumps(["household-register"]), "[]", "本人承诺限期补交材料。",
                    submitted, day + timedelta(days=7), "fulfilled" if accepted else "pending", None,
                    submitted + timedelta(days=3) if accepted else None, ""))
            if status == "delivered" and rng.random() < 0.6:
                level = rng.choice((5, 5, 5, 5, 5, 4, 4, 3, 2, 1))
                rows["cases_rating"].append((case_id, level, "" if level > 2 else "等待时间较长", submitters[who],
                                             submitted + timedelta(days=3), "", None, None, "", "", None, None))
            if not accepted:
                if status != "submitted":
                    events.append((case_id, None, submitted + timedelta(hours=3), clerk, status, "预审处理", False))
                continue
            plans.append((case_id, shape, done, submitted))
        task_count = sum(len(shape["items"]) for _, shape, _, _ in plans)
        task_ids = iter(next_ids("cases_task", task_count)) if task_count else iter(())
        for case_id, shape, done, submitted in plans:
            finished = len(shape["items"]) if done else rng.randrange(len(shape["items"]))
            by_row, approved = {}, set()
            events.append((case_id, None, submitted + timedelta(hours=2), clerk, "accepted", "预审通过，已受理", False))
            for position, item in enumerate(shape["items"]):
                task_id = next(task_ids)
                by_row[item["row"]] = task_id
                if position < finished:
                    status = "approved"
                    approved.add(item["row"])
                elif all(a in approved for a in item["after"]):
                    status = rng.choice(("ready", "claimed"))
                else:
                    status = "waiting"
                started = submitted.date() if status != "waiting" else None
                rows["cases_task"].append((
                    task_id, case_id, item["row"], item["version"], item["department"], status,
                    officer if status in ("claimed", "approved") else None, started, item["days"], 0,
                    started + timedelta(days=item["days"] + 1) if started else None, "",
                    "准予办理" if status == "approved" else "",
                    '{"certificate": "Z%d"}' % task_id if status == "approved" else "{}", "{}", False,
                    submitted + timedelta(days=1) if status == "approved" else None))
                rows["cases_task_prerequisites"].extend((task_id, by_row[a]) for a in item["after"])
                if status != "waiting":
                    events.append((case_id, task_id, submitted + timedelta(hours=4), None, "task_ready",
                                   f"“{item['name']}”开始办理", False))
                if status == "approved":
                    events.append((case_id, task_id, submitted + timedelta(days=1), officer, "task_approved",
                                   f"“{item['name']}”办结。准予办理", False))
            if done:
                events.append((case_id, None, submitted + timedelta(days=2), officer, "completed", "全部事项办结",
                               False))
        writer(rows)


def _write_bulk_create(rows: dict) -> None:
    """The ORM's way, in batches: model instances built from the same rows the COPY writer takes."""
    from django.db import transaction

    from yijianshi.cases.models import Case

    models = _models()
    form_field = Case._meta.get_field("form_data")
    with transaction.atomic():
        for table, columns in COLUMNS.items():
            objects = []
            for row in rows[table]:
                values = {c: (json.loads(v) if c in JSON_COLUMNS else v) for c, v in zip(columns, row)}
                if "form_data" in values:  # arrives encrypted; the field encrypts on save, so hand it plain text
                    values["form_data"] = form_field.from_db_value(values["form_data"], None, None)
                objects.append(models[table](**values))
            models[table].objects.bulk_create(objects, batch_size=BULK_BATCH)


def _write_copy(rows: dict) -> None:
    """PostgreSQL COPY: values are already in column order."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        for table, columns in COLUMNS.items():
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)


def _bulk_load(w: World, count: int) -> str:
    """A million rows the way one loads them: secondary indexes dropped and rebuilt afterwards, foreign-key
    triggers off (the generated rows are consistent by construction; needs a superuser, else they stay on)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        cursor.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        """, [list(COLUMNS)])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        if superuser:
            cursor.execute("SET session_replication_role = replica")
    try:
        t0 = time.perf_counter()
        _synthesise(w, count, _write_copy)
        loaded = time.perf_counter() - t0
    finally:
        with connection.cursor() as cursor:
            if superuser:
                cursor.execute("SET session_replication_role = DEFAULT")
            t0 = time.perf_counter()
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            rebuilt = time.perf_counter() - t0
    return (f"COPY {loaded:.0f} s{' without FK triggers' if superuser else ''}, "
            f"{len(indexes)} indexes rebuilt in {rebuilt:.0f} s")


# --- reads through the API --------------------------------------------------------------------------------------

def _clients(w: World):
    from django.test import Client

    by_party = {}
    for context in w.contexts:
        client = Client()
        client.force_login(context.user)
        by_party[context.principal.pk] = client
    clerk, officer = Client(), Client()
    clerk.force_login(w.clerk)
    officer.force_login(w.officer)
    return by_party, clerk, officer


def _sample(w: World, n: int, rng: random.Random) -> list[tuple[str, int]]:
    from django.db.models import Max

    from yijianshi.cases.models import Case

    high = Case.objects.aggregate(hi=Max("pk"))["hi"]
    found: list[tuple[str, int]] = []
    while len(found) < n:
        ids = [rng.randint(w.first_synthetic, high) for _ in range(n)]
        found.extend(Case.objects.filter(pk__in=ids).values_list("number", "applicant_id"))
    return found[:n]


def _timed(client, url: str, times: list[float]) -> None:
    t = time.perf_counter()
    response = client.get(url)
    times.append(time.perf_counter() - t)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def _bench_reads(w: World, requests: int) -> None:
    by_party, clerk, officer = _clients(w)
    rng = random.Random(requests)
    sample = _sample(w, requests, rng)
    for number, party in sample[:20]:  # warm up caches and the connection
        _timed(by_party[party], f"/api/v1/applications/{number}", [])
    figures = {"applicant": [], "clerk": [], "list": [], "queue": []}
    for number, party in sample:
        _timed(by_party[party], f"/api/v1/applications/{number}", figures["applicant"])
        _timed(clerk, f"/api/v1/applications/{number}", figures["clerk"])
    for n in range(min(requests, 100)):
        party = list(by_party)[n % len(by_party)]
        _timed(by_party[party], "/api/v1/applications?limit=20", figures["list"])
        _timed(officer, "/api/v1/tasks?status=ready&limit=50", figures["queue"])
    number, party = sample[0]
    urls = {"applicant": (by_party[party], f"/api/v1/applications/{number}"),
            "clerk": (clerk, f"/api/v1/applications/{number}"),
            "list": (by_party[party], "/api/v1/applications?limit=20"),
            "queue": (officer, "/api/v1/tasks?status=ready&limit=50")}
    labels = {"applicant": "GET /api/v1/applications/{number}  (the applicant)",
              "clerk": "GET /api/v1/applications/{number}  (a window clerk)",
              "list": "GET /api/v1/applications?limit=20  (an applicant's list)",
              "queue": "GET /api/v1/tasks?status=ready&limit=50  (公安局 officer)"}
    for key, times in figures.items():
        ms = [t * 1000 for t in times]
        print(f"  {labels[key]:<56} n={len(ms):<4} p50 {_percentile(ms, 50):6.1f} ms  "
              f"p95 {_percentile(ms, 95):6.1f} ms  mean {statistics.fmean(ms):6.1f} ms  "
              f"({_queries(*urls[key])} queries)")


def _explain(w: World) -> None:
    """Every query the status request makes, with its plan: a sequential scan of a big table is the thing to fix."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    by_party, clerk, officer = _clients(w)
    (number, party), = _sample(w, 1, random.Random(7))
    checks = [("applicant status", by_party[party], f"/api/v1/applications/{number}"),
              ("officer queue", officer, "/api/v1/tasks?status=ready&limit=50")]
    print("\nquery plans (big tables only):")
    for label, client, url in checks:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        scans = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in tuple(COLUMNS)):
                    continue
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(r[0] for r in cursor.fetchall())
                for table in tuple(COLUMNS):
                    if f"Seq Scan on {table} " in plan + " ":
                        scans.append((table, sql[:160]))
        print(f"  {label}: {len(captured.captured_queries)} queries; sequential scans of big tables: "
              f"{scans or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
