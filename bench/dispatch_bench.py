"""12345 dispatch benchmark: top-1 / top-3 accuracy on held-out tickets, throughput and training time.

    .venv/bin/python bench/dispatch_bench.py [--seeds 5] [--test-size 0.2] [--verbose]

For each seed, the reviewed examples (data/hotline/dispatch_examples.yaml) are split 80/20, stratified by
department; the model learns from the 80% plus the texts generated from the catalog's departments, and is
scored on the 20%. Runs against a fresh temporary SQLite database (migrated, catalog loaded), so it never
touches the developer's database. Throughput is one ticket at a time in one thread, after a warm-up pass
(jieba's start-up is not counted). Also shows how the confidence threshold splits the held-out tickets.
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

# Single-thread figures: keep BLAS from spreading one prediction over the cores.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"


def _setup_django(database_path: Path) -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DATABASE_URL"] = f"sqlite:///{database_path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "yijianshi.settings.test"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--verbose", action="store_true", help="print the misclassified held-out tickets")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dispatch-bench-") as tmp:
        _setup_django(Path(tmp) / "bench.sqlite3")
        from django.core.management import call_command
        from sklearn.model_selection import train_test_split

        from yijianshi.hotline.dispatch.classifier import CONFIDENCE_THRESHOLD, needs_person, train
        from yijianshi.hotline.dispatch.training import USE_WORDS, bootstrap_examples, file_examples, word_analyzer

        quiet = open(os.devnull, "w")
        call_command("migrate", verbosity=0, stdout=quiet)
        call_command("load_catalog", verbosity=0, stdout=quiet)

        reviewed = file_examples()
        generated = bootstrap_examples()
        analyzer = word_analyzer() if USE_WORDS else None
        if analyzer is not None:
            analyzer("预热")  # jieba's dictionary load, once, outside the training timer
        print(f"样例：人工编写 {len(reviewed)} 条，目录生成 {len(generated)} 条，"
              f"部门 {len({c for _, c in reviewed})} 个；每轮留出 {args.test_size:.0%}")

        top1s, top3s, train_seconds, rates = [], [], [], []
        confident = [0, 0]  # [held-out tickets above the threshold, of which right]
        unsure = [0, 0]
        for seed in range(args.seeds):
            train_part, test_part = train_test_split(
                reviewed, test_size=args.test_size, random_state=seed, stratify=[c for _, c in reviewed])
            started = time.perf_counter()
            model = train(train_part + generated, word_analyzer=analyzer)
            train_seconds.append(time.perf_counter() - started)

            for text, _ in test_part:  # warm-up
                model.suggest(text)
            started = time.perf_counter()
            suggestions = [model.suggest(text, k=3) for text, _ in test_part]
            rates.append(len(test_part) / (time.perf_counter() - started))

            hit1 = hit3 = 0
            for (text, expected), ranked in zip(test_part, suggestions):
                codes = [code for code, _ in ranked]
                right = codes[:1] == [expected]
                hit1 += right
                hit3 += expected in codes
                bucket = unsure if needs_person(ranked) else confident
                bucket[0] += 1
                bucket[1] += right
                if args.verbose and not right:
                    print(f"  [seed {seed}] {text} -> 期望 {expected}，得到 {ranked}")
            top1s.append(hit1 / len(test_part))
            top3s.append(hit3 / len(test_part))
            print(f"seed {seed}: top-1 {top1s[-1]:.1%}  top-3 {top3s[-1]:.1%}  (留出 {len(test_part)} 条)  "
                  f"训练 {train_seconds[-1]:.2f} s  {rates[-1]:.0f} 条/秒")

        print()
        print(f"top-1 准确率：平均 {statistics.mean(top1s):.1%}，最低 {min(top1s):.1%}")
        print(f"top-3 准确率：平均 {statistics.mean(top3s):.1%}，最低 {min(top3s):.1%}")
        print(f"训练时间：平均 {statistics.mean(train_seconds):.2f} s（80% 人工样例 + {len(generated)} 条生成样例）")
        print(f"单线程分类速度：平均 {statistics.mean(rates):.0f} 条/秒，最低 {min(rates):.0f} 条/秒")
        total = confident[0] + unsure[0]
        print(f"置信阈值 {CONFIDENCE_THRESHOLD}：{confident[0]}/{total} 条（{confident[0] / total:.0%}）可直接建议，"
              f"其 top-1 准确率 {confident[1] / max(1, confident[0]):.1%}；"
              f"{unsure[0]} 条转人工，其 top-1 准确率 {unsure[1] / max(1, unsure[0]):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
