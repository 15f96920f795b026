"""Department feed benchmark: how fast `feed_apply` takes a 100 000-row file from 县人社局 (rows/s) and how much memory
it needs, in the situations a county meets:

  1. first delivery: 100 000 rows for 50 000 people the platform does not know yet (each created through
     person_ensure, with its own audit event), two elements per person;
  2. monthly refresh: 100 000 rows for the same people, half of them with a changed value (new facts), half equal
     to what the profile holds (recognised, nothing recorded);
  3. the same refresh file delivered again (recognised by its SHA-256: nothing applied);
  4. a refresh whose very last row is bad (every row is checked, nothing applied: all-or-nothing).

    .venv/bin/python bench/profiles_feed_bench.py [--rows 100000] [--database-url postgres://…/profiles_bench]
        [--tracemalloc]

Default: a fresh temporary SQLite database. With --database-url the PostgreSQL database is dropped and created at
the start and dropped at the end (a scratch database). Memory: the process's peak resident set size after each
stage (ru_maxrss, the whole Django process) and, with --tracemalloc, the peak of Python allocations during the stage
(slower: timings are then not representative). Takes a few minutes at the default size.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "建国秀英桂兰志强小军丽娟海燕春梅红霞玉兰明亮文静晓东宏伟淑珍凤英永刚俊杰佳慧子涵雨轩浩然欣怡"


def _scratch(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an odd database name: {name!r}")
    with psycopg.connect(urlunparse(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _people(count: int, seed: int = 7) -> list[tuple[str, str]]:
    from stdnum.cn import ric

    rng = random.Random(seed)
    people, used = [], set()
    while len(people) < count:
        birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        base = f"610830{birth}{rng.randint(0, 999):03d}"
        number = base + ric.calc_check_digit(base + "0")
        if number in used:
            continue
        used.add(number)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        people.append((number, name))
    return people


def _feed(people, *, refresh: bool, bad_last: bool = False, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    lines = ["subject,name,element,value,effective_date"]
    for number, name in people:
        if refresh and rng.random() < 0.5:
            status, day = "就业登记", "2026-10-01"   # changed since the first delivery
        else:
            status, day = "失业登记", "2026-03-01"   # as before: nothing to record
        lines.append(f"{number},{name},rsj.employment_status,{status},{day}")
        lines.append(f"{number},{name},person.social_security_number,{number},2011-07-01")
    if bad_last:
        lines[-1] = lines[-1].replace("2011-07-01", "2011-07-32")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000, help="rows per feed (two per person)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap peak (slower)")
    args = parser.parse_args()
    persons = args.rows // 2
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, str(BASE_DIR))
        if args.database_url:
            _scratch(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "yijianshi.settings.test"
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from yijianshi.accounts.models import Person
        from yijianshi.accounts.services import GrantSpec, staff_account_create, system_admin_bootstrap
        from yijianshi.audit.models import AuditEvent
        from yijianshi.organizations.models import Department
        from yijianshi.profiles.models import Fact
        from yijianshi.profiles.services import feed_apply

        try:
            call_command("migrate", verbosity=0)
            call_command("load_catalog", verbosity=0, stdout=open(os.devnull, "w"))
            call_command("load_sharing_catalogue", stdout=open(os.devnull, "w"))
            admin = system_admin_bootstrap(username="admin", name="王建国", id_number="610830198001010019",
                                           mobile="13990000001", password="Bench-password-2026")
            officer = staff_account_create(
                user=admin, username="rsj", name="陈静", id_number="610830197508080046", mobile="13990000004",
                password="Bench-password-2026",
                grants=[GrantSpec("department_officer", Department.objects.get(code="rsj").pk)])
            people = _people(persons)
            files = {
                "first": _feed(people, refresh=False),
                "refresh": _feed(people, refresh=True),
                "bad": _feed(people, refresh=True, bad_last=True, seed=12),
            }
            gc.collect()
            baseline = _peak_rss_mb()
            print(f"database: {connection.vendor}; {args.rows} rows per feed, {persons} people; "
                  f"file {len(files['first']) / 1024 / 1024:.1f} MB; process peak RSS before the feeds "
                  f"{baseline:.0f} MB")

            def stage(label: str, name: str, content: bytes):
                events = AuditEvent.objects.count()
                facts = Fact.objects.count()
                if args.tracemalloc:
                    tracemalloc.start()
                started = time.perf_counter()
                run = feed_apply(user=officer, department="rsj", file_name=name, content=content)
                seconds = time.perf_counter() - started
                heap = ""
                if args.tracemalloc:
                    heap = f", Python heap peak {tracemalloc.get_traced_memory()[1] / 1024 / 1024:.0f} MB"
                    tracemalloc.stop()
                rate = f" = {run.rows_total / seconds:,.0f} rows/s" if run.rows_total else ""
                print(f"{label}: {run.get_status_display()} in {seconds:.2f} s{rate} "
                      f"(rows {run.rows_total}, bad {run.rows_invalid}, new facts {Fact.objects.count() - facts}, "
                      f"unchanged {run.facts_unchanged}, people created {run.persons_created}, "
                      f"audit events {AuditEvent.objects.count() - events}); "
                      f"process peak RSS {_peak_rss_mb():.0f} MB{heap}")
                return run

            import yijianshi.profiles.services as services

            services.FEED_INLINE_MAX_BYTES = 1 << 40  # measure the processing itself, in this process
            stage("1. first delivery, all people new", "rsj-first.csv", files["first"])
            assert Person.objects.count() >= persons
            stage("2. monthly refresh, half changed", "rsj-refresh.csv", files["refresh"])
            stage("3. the refresh delivered again", "rsj-refresh-again.csv", files["refresh"])
            stage("4. refresh with a bad last row", "rsj-bad.csv", files["bad"])
            started = time.perf_counter()
            from yijianshi.audit.selectors import chain_verify

            assert chain_verify().ok
            print(f"audit chain verified ({AuditEvent.objects.count()} events) in {time.perf_counter() - started:.1f} s")
        finally:
            connection.close()
            if args.database_url:
                _scratch(args.database_url, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
