"""Hall benchmark: how many numbers per second the kiosks and phones can take (`ticket_take`, from several threads
at once, as a busy morning at many kiosks), and how fast a window's 叫下一位 (`call_next`) answers with 2 000 people
waiting, plus the ticket page's place-and-wait estimate and the call screen.

    .venv/bin/python bench/hall_bench.py [--numbers 10000] [--threads 8] [--waiting 2000] [--calls 600]
        [--database-url postgres://postgres@127.0.0.1:5432/hall_bench]

Default: a fresh temporary SQLite database. With --database-url the named PostgreSQL database is a scratch
database: dropped and created at the start, dropped at the end. Every number is taken through the service, so each
one is audited, gets its timeline event and (for the 40 % who leave a mobile) its SMS notification, as in
production. The numbers taken must all be distinct per service point, category and day: checked at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
# How residents spread over the county hall's categories on an ordinary day (social security and 综合受理 busiest).
CATEGORY_MIX = [("general", 26), ("social", 24), ("property", 12), ("police", 12), ("enterprise", 10),
                ("utilities", 8), ("pickup", 6), ("help", 2)]


def _scratch_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an odd database name: {name!r}")
    with psycopg.connect(urlunparse(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _ms(values: list[float]) -> str:
    from yijianshi.hall.domain import percentile

    return (f"p50 {statistics.median(values) * 1000:.1f} ms, p95 {percentile(values, 95) * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--waiting", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    postgres = args.database_url.startswith(("postgres://", "postgresql://"))
    if postgres:
        _scratch_database(args.database_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sys.path.insert(0, str(BASE_DIR))
            os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            os.environ["DJANGO_SETTINGS_MODULE"] = "yijianshi.settings.test"
            os.environ.setdefault("LOG_LEVEL", "ERROR")  # the console SMS gateway would print every message
            return _run(args)
    finally:
        if postgres:
            from django.db import connections

            connections.close_all()
            _scratch_database(args.database_url, drop_only=True)


def _run(args) -> int:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection, connections

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_catalog", verbosity=0, stdout=open(os.devnull, "w"))
    call_command("load_hall", stdout=open(os.devnull, "w"))
    vendor = connection.vendor
    print(f"database: {vendor}; migrated, catalog and windows loaded in {time.perf_counter() - t0:.1f} s")

    from stdnum.cn import ric

    from yijianshi.accounts.services import GrantSpec, staff_account_create, system_admin_bootstrap
    from yijianshi.hall import selectors, services
    from yijianshi.hall.models import QueueTicket, Window
    from yijianshi.organizations.models import ServicePoint

    def id_number(birth: str, serial: int) -> str:
        base = f"610830{birth}{serial:03d}"
        return base + ric.calc_check_digit(base + "0")

    admin = system_admin_bootstrap(username="sysadmin", name="王建国", id_number=id_number("19800101", 1),
                                   mobile="13990000001", password="Bench-password-2026")
    hall = ServicePoint.objects.get(code="county-hall")
    clerk = staff_account_create(user=admin, username="clerk", name="刘明", password="Bench-password-2026",
                                 id_number=id_number("19900520", 2), mobile="13990000002",
                                 grants=[GrantSpec("window_clerk", None, hall.pk)])
    categories = [code for code, weight in CATEGORY_MIX for _ in range(weight)]
    aged_ids = [id_number(f"19{40 + n % 15}0{1 + n % 9}1{n % 9}", n % 900) for n in range(50)]

    def one_take(n: int, rng: random.Random) -> float:
        roll = rng.random()
        kwargs = {"category_code": rng.choice(categories)}
        if roll < 0.06:
            kwargs["id_number"] = rng.choice(aged_ids)        # 70+ by the ID card read at the kiosk
        elif roll < 0.09:
            kwargs["declared_priority"] = rng.choice(["pregnant", "veteran"])
        if rng.random() < 0.03:
            kwargs["needs_help"] = True
        if rng.random() < 0.4:
            kwargs["mobile"] = f"13{rng.randint(500000000, 999999999)}"
        started = time.perf_counter()
        services.ticket_take(service_point=hall, **kwargs)
        return time.perf_counter() - started

    # 1. Numbers taken from several threads at once (kiosks and phones).
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(share: range, seed: int):
        rng = random.Random(seed)
        mine = []
        try:
            for n in share:
                mine.append(one_take(n, rng))
        finally:
            connections.close_all()
        with lock:
            latencies.extend(mine)

    per = args.numbers // args.threads
    shares = [range(i * per, args.numbers if i == args.threads - 1 else (i + 1) * per) for i in range(args.threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        list(pool.map(worker, shares, range(args.threads)))
    elapsed = time.perf_counter() - started
    taken = QueueTicket.objects.filter(service_point=hall).count()
    distinct = QueueTicket.objects.filter(service_point=hall).values("day", "number").distinct().count()
    assert taken == distinct == args.numbers, (taken, distinct)
    print(f"\ntook {args.numbers} numbers from {args.threads} threads in {elapsed:.1f} s: "
          f"{args.numbers / elapsed:.0f} numbers/s; per number {_ms(latencies)}; all {distinct} numbers distinct "
          f"(largest {QueueTicket.objects.filter(category__code='general').order_by('-pk').first().number})")

    # 2. 叫下一位 with a steady queue: the morning's numbers are done, `--waiting` wait; after each call someone new
    #    takes a number, so the queue stays that long. Each call is followed by the service starting and ending.
    QueueTicket.objects.filter(service_point=hall).update(status=QueueTicket.Status.DONE)
    rng = random.Random(7)
    for n in range(args.waiting):
        one_take(n, rng)
    windows = list(Window.objects.filter(service_point=hall, active=True).exclude(kind=Window.Kind.ASSISTED))
    waiting = QueueTicket.objects.filter(service_point=hall, status=QueueTicket.Status.WAITING)
    print(f"\nqueue: {waiting.count()} waiting, {QueueTicket.objects.count()} numbers in the table today, "
          f"{len(windows)} windows calling in turn")
    calls, empty = [], 0
    for n in range(args.calls):
        window = windows[n % len(windows)]
        started = time.perf_counter()
        ticket = services.call_next(user=clerk, window=window)
        calls.append(time.perf_counter() - started)
        if ticket is None:
            empty += 1
            continue
        services.ticket_start(user=clerk, window=window, ticket_id=ticket.pk)
        services.ticket_finish(user=clerk, window=window, ticket_id=ticket.pk)
        one_take(n, rng)
    print(f"call_next x{args.calls} ({empty} found nobody for that window): {_ms(calls)}")

    sample = list(waiting.order_by("?")[:200])
    places = []
    for ticket in sample:
        started = time.perf_counter()
        selectors.position(ticket)
        places.append(time.perf_counter() - started)
    print(f"place and wait estimate of a waiting number (the ticket page) x{len(sample)}: {_ms(places)}")
    screens = []
    for _ in range(100):
        started = time.perf_counter()
        selectors.screen(hall)
        screens.append(time.perf_counter() - started)
    print(f"call screen data x100: {_ms(screens)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
