"""Audit chain benchmark: how fast events are appended (one transaction each, as services do) and how long the
full verification takes, so the nightly job and the 立即校验 button can be sized.

    .venv/bin/python bench/audit_bench.py [--events 20000] [--database-url postgres://postgres@127.0.0.1:5432/bench]

Default: a fresh temporary SQLite database. With --database-url the given PostgreSQL database is migrated and
its audit tables must be empty (use a scratch database: the triggers make its events permanent).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, str(BASE_DIR))
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "yijianshi.settings.test"
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from yijianshi.audit.models import AuditEvent
        from yijianshi.audit.selectors import chain_verify
        from yijianshi.audit.services import audit_record

        call_command("migrate", verbosity=0)
        if AuditEvent.objects.exists():
            print("the audit table is not empty; use a scratch database", file=sys.stderr)
            return 2
        after = {"principal": "张**", "agent": "周*", "all_services": True, "bundles": ["newborn"], "status": "active"}
        started = time.perf_counter()
        for n in range(args.events):
            audit_record(action="mandate.grant", object_type="accounts.mandate", object_id=n, reason="基准测试",
                         after=after)
        append_seconds = time.perf_counter() - started

        started = time.perf_counter()
        result = chain_verify()
        verify_seconds = time.perf_counter() - started
        assert result.ok and result.events_checked == args.events

        print(f"database: {connection.vendor}")
        print(f"appended {args.events} events, one transaction each: {append_seconds:.2f} s, "
              f"{args.events / append_seconds:.0f} events/s, {append_seconds / args.events * 1000:.2f} ms per event")
        print(f"verified {result.events_checked} events: {verify_seconds:.2f} s, "
              f"{result.events_checked / verify_seconds:.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
