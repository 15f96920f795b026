"""Search benchmark: top-1 / top-3 accuracy over the labelled queries and latency percentiles.

    .venv/bin/python bench/search_bench.py [--rounds 5] [--catalog-dir DIR] [--queries FILE] [--verbose]

Runs against a fresh temporary SQLite database (migrated, catalog loaded, index built), so it never touches
the developer's database. Latency is the wall time of `selectors.search()` (analysis + index lookup +
ranking), measured after one warm-up pass so jieba's one-off start-up is not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _setup_django(database_path: Path) -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DATABASE_URL"] = f"sqlite:///{database_path}"
    # Test settings: its own temporary database and an in-memory job queue, so the run leaves nothing behind.
    os.environ["DJANGO_SETTINGS_MODULE"] = "yijianshi.settings.test"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over all queries")
    parser.add_argument("--catalog-dir", type=Path, default=BASE_DIR / "data" / "catalog")
    parser.add_argument("--queries", type=Path, default=BASE_DIR / "data" / "search" / "queries.yaml")
    parser.add_argument("--verbose", action="store_true", help="print the top 3 of every query")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        _setup_django(Path(tmp) / "bench.sqlite3")
        import yaml
        from django.core.management import call_command

        from yijianshi.search.selectors import search
        from yijianshi.search.services import search_index_rebuild

        quiet = open(os.devnull, "w")
        call_command("migrate", verbosity=0, stdout=quiet)
        call_command("load_catalog", dir=args.catalog_dir, verbosity=0, stdout=quiet)
        started = time.perf_counter()
        report = search_index_rebuild(force=True)
        build_ms = (time.perf_counter() - started) * 1000

        queries = yaml.safe_load(args.queries.read_text(encoding="utf-8"))["queries"]
        for row in queries:  # warm-up: jieba start-up, SQLite page cache
            search(row["q"], limit=3)

        latencies: list[float] = []
        results: dict[str, list] = {}
        for _ in range(max(1, args.rounds)):
            for row in queries:
                started = time.perf_counter()
                hits = search(row["q"], limit=10)
                latencies.append((time.perf_counter() - started) * 1000)
                results[row["q"]] = hits

        top1 = top3 = 0
        misses = []
        per_kind = {"bundle": [0, 0], "item": [0, 0]}
        for row in queries:
            expected = {(e["kind"], e["code"]) for e in row["expect"]}
            got = [(h.kind, h.code) for h in results[row["q"]]]
            first_kind = row["expect"][0]["kind"]
            hit1 = bool(got[:1]) and got[0] in expected
            hit3 = any(g in expected for g in got[:3])
            top1 += hit1
            top3 += hit3
            per_kind[first_kind][0] += hit3
            per_kind[first_kind][1] += 1
            if not hit1:
                misses.append((row, results[row["q"]][:3], hit3))
            if args.verbose:
                shown = "；".join(f"{h.name}({h.score})" for h in results[row["q"]][:3])
                print(f"{'✓' if hit1 else ('~' if hit3 else '✗')} {row['q']} → {shown}")

        n = len(queries)
        print(f"索引：{report.documents} 篇文档，{report.postings} 条倒排记录，重建 {build_ms:.0f} ms")
        print(f"查询：{n} 条（一件事 {per_kind['bundle'][1]}，单项事项 {per_kind['item'][1]}），{args.rounds} 轮")
        print(f"top-1 准确率：{top1 / n:.1%}（{top1}/{n}）")
        print(f"top-3 准确率：{top3 / n:.1%}（{top3}/{n}）")
        for kind, label in (("bundle", "一件事"), ("item", "单项事项")):
            hit, total = per_kind[kind]
            if total:
                print(f"  {label} top-3：{hit / total:.1%}（{hit}/{total}）")
        print(f"延迟（{len(latencies)} 次）：p50 {statistics.median(latencies):.2f} ms，"
              f"p95 {_percentile(latencies, 0.95):.2f} ms，max {max(latencies):.2f} ms")
        if misses:
            print("\n未排第一（✗ = 前三也没有）：")
            for row, hits, hit3 in misses:
                expected = "、".join(f"{e['kind']}:{e['code']}" for e in row["expect"])
                shown = "；".join(f"{h.code} {h.name}（{h.score}）" for h in hits) or "无结果"
                print(f"  {'~' if hit3 else '✗'} {row['q']}  期望 {expected}  实得 {shown}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
