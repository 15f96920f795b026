"""免申即享 benchmark: 50 published policies over 1 000 000 persons and 100 000 enterprises.

    .venv/bin/python bench/policies_bench.py [--persons 1000000] [--enterprises 100000] [--sample 20000]
                                             [--explain 1000] [--rounds 3] [--on 2026-11-30] [--seed 7] [--strings]
                                             [--postgres postgres://postgres@127.0.0.1:5432/postgres]

Plain Python and Polars, no database: it generates a realistic Qingjian population (older people in the villages,
about 7% holding a disability certificate, low-income and poverty-monitoring shares higher in the villages, 5–10% of
every value missing), publishes the seed policies from data/policies/ plus generated county variants (50 in all)
and prints:

- generation time;
- the whole batch (evaluate_all: every policy over every subject), wall time per round and the peak RSS during it;
- matches per policy;
- one subject's explained check (explain() of every policy for that subject, what their space shows), p50 / p95
  over --explain subjects;
- the same batch by the interpreter, one subject at a time, on a --sample subject sample, scaled to the full size,
  and whether its matches equal the compiled ones on that sample.

Choice columns are held as Categorical (pass --strings to compare with plain String columns).

With --postgres, the same batch also runs as SQL in PostgreSQL (the alternative the issue names: one
`SELECT subject_id ... WHERE <rule> IS TRUE` per policy over the profile tables, loaded into temporary tables that
vanish with the connection) and its matches are compared with the compiled ones. SQL's NULL logic is Kleene logic,
so the translation is direct; it lives here only, to measure the choice.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from yijianshi.policies.domain.compiler import evaluate_all  # noqa: E402
from yijianshi.policies.domain.interpreter import decide, explain  # noqa: E402
from yijianshi.policies.domain.policy import parse_policy  # noqa: E402
from yijianshi.policies.domain.rules import conditions, load_dictionary  # noqa: E402

CATALOG = BASE_DIR / "data" / "catalog"
POLICIES = BASE_DIR / "data" / "policies"
TOWNS = [t["name"] for t in yaml.safe_load((CATALOG / "places.yaml").read_text("utf-8"))["towns"]]
SEAT = "宽州镇"  # the county seat; the other towns are rural
# Residents by town: about 40% in the county seat.
TOWN_WEIGHTS = {SEAT: 0.40, "石咀驿镇": 0.08, "折家坪镇": 0.09, "玉家河镇": 0.07, "高杰村镇": 0.07, "李家塔镇": 0.06,
                "店则沟镇": 0.07, "解家沟镇": 0.07, "下廿里铺镇": 0.09}
# Age pyramids (bucket → weight): the villages have fewer young people and many more old ones.
AGE_BUCKETS = [(0, 5), (6, 11), (12, 14), (15, 17), (18, 22), (23, 39), (40, 59), (60, 69), (70, 79), (80, 89),
               (90, 99), (100, 104)]
SEAT_AGES = [6, 9, 4.5, 4.5, 7, 24, 27, 9.5, 5.5, 2.5, 0.45, 0.05]
assert set(TOWN_WEIGHTS) == set(TOWNS), "the towns in data/catalog/places.yaml changed"
VILLAGE_AGES = [3.5, 5.5, 3, 3, 4, 13, 30, 17, 13, 6.2, 1.2, 0.1]
INDUSTRIES = ["农、林、牧、渔业", "采矿业", "制造业", "建筑业", "批发和零售业", "交通运输、仓储和邮政业", "住宿和餐饮业",
              "信息传输、软件和信息技术服务业", "租赁和商务服务业", "居民服务、修理和其他服务业", "文化、体育和娱乐业"]
INDUSTRY_WEIGHTS = [14, 2, 6, 7, 34, 6, 14, 2, 4, 9, 2]


# --- profiles ---------------------------------------------------------------------------------------------------

class Maker:
    def __init__(self, n: int, seed: int, on: date, categorical: bool):
        self.n, self.rng, self.on, self.categorical = n, np.random.default_rng(seed), on, categorical
        self.epoch_on = (on - date(1970, 1, 1)).days

    def pick(self, labels, weights, size=None) -> np.ndarray:
        p = np.asarray(weights, dtype=float)
        return self.rng.choice(len(labels), size=size or self.n, p=p / p.sum())

    def pick_value(self, values, weights) -> np.ndarray:
        """One of `values` per subject (pick() returns positions, this the values at them)."""
        return np.asarray(values)[self.pick(values, weights)]

    def bern(self, p) -> np.ndarray:
        return self.rng.random(self.n) < p

    def enum(self, labels, codes, mask=None) -> pl.Series:
        series = pl.Series(labels).gather(codes)
        if mask is not None:
            series = pl.select(pl.when(pl.Series(mask)).then(series)).to_series()
        return series.cast(pl.Categorical) if self.categorical else series

    def dates(self, days_before_on, mask=None) -> pl.Series:
        series = pl.Series(self.epoch_on - np.asarray(days_before_on, dtype=np.int64)).cast(pl.Int32).cast(pl.Date)
        return series if mask is None else pl.select(pl.when(pl.Series(mask)).then(series)).to_series()


def with_missing(frame: pl.DataFrame, rng: np.random.Generator, keep=("subject_id",)) -> pl.DataFrame:
    """5–10% of every value missing, as when a source has not answered."""
    columns = []
    for name in frame.columns:
        if name in keep:
            continue
        missing = rng.random(frame.height) < rng.uniform(0.05, 0.10)
        columns.append(pl.when(pl.Series(missing)).then(None).otherwise(pl.col(name)).alias(name))
    return frame.with_columns(columns)


def make_persons(n: int, seed: int, on: date, categorical: bool) -> pl.DataFrame:
    m = Maker(n, seed, on, categorical)
    rng = m.rng
    town = m.pick(list(TOWN_WEIGHTS), list(TOWN_WEIGHTS.values()))
    village = town != 0
    bucket = np.where(village, m.pick(AGE_BUCKETS, VILLAGE_AGES), m.pick(AGE_BUCKETS, SEAT_AGES))
    low = np.array([b[0] for b in AGE_BUCKETS])[bucket]
    high = np.array([b[1] for b in AGE_BUCKETS])[bucket]
    age = low + (rng.random(n) * (high - low + 1)).astype(int)
    born_days_ago = (age * 365.2425 + rng.integers(0, 365, n)).astype(np.int64)
    male = m.bern(0.51)
    rural = np.where(village, m.bern(0.90), m.bern(0.45))
    hukou_labels = list(TOWN_WEIGHTS) + ["县外"]
    hukou = np.where(m.bern(0.90), town, m.pick(hukou_labels, [1] * 9 + [5]))

    disabled = m.bern(np.where(age >= 60, 0.13, np.where(age >= 18, 0.06, 0.015)))
    level = m.pick(["一级", "二级", "三级", "四级"], [10, 22, 30, 38])
    category = m.pick(["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"],
                      [13, 18, 2, 42, 9, 10, 6])
    low_income = m.bern(np.where(village, 0.08, 0.04) + np.where(disabled, 0.08, 0))
    extremely_poor = m.bern(np.where(age >= 60, 0.015, 0.004))
    child = age < 18
    orphan = child & m.bern(0.0015)
    unsupported = child & ~orphan & m.bern(0.002)
    support = np.where(rural, m.pick(["脱贫人口", "防止返贫监测对象", "无"], [18, 2, 80]), 2)

    stage_labels = ["未在读", "学前教育", "小学", "初中", "普通高中", "中等职业教育", "高等职业教育（专科）", "本科", "研究生"]
    stage = np.zeros(n, dtype=int)
    stage[(age >= 3) & (age <= 5) & m.bern(0.85)] = 1
    stage[(age >= 6) & (age <= 11)] = 2
    stage[(age >= 12) & (age <= 14)] = 3
    teen = (age >= 15) & (age <= 17)
    stage[teen] = m.pick_value([0, 4, 5], [12, 56, 32])[teen]
    college = (age >= 18) & (age <= 22)
    stage[college] = m.pick_value([0, 6, 7], [55, 20, 25])[college]
    stage[(age >= 23) & (age <= 25) & m.bern(0.03)] = 8
    grade = np.clip(age - 15, 0, 2)
    in_grades = (stage == 4) | (stage == 5)

    education_labels = ["小学及以下", "初中", "高中/中专/技校", "大专", "本科", "研究生"]
    education = np.where(age >= 60, m.pick(education_labels, [55, 30, 11, 3, 1, 0]),
                         np.where(age >= 40, m.pick(education_labels, [15, 45, 25, 9, 6, 0.3]),
                                  m.pick(education_labels, [3, 22, 30, 22, 21, 2])))
    graduate = (education >= 3) & (age >= 20)
    graduation_days_ago = born_days_ago - ((21 + education - 3 + rng.integers(0, 2, n)) * 365.2425).astype(int)
    studying_higher = stage >= 6
    # current college students graduate this July or in later years (the graduation year policy looks at them)
    expected_years_ahead = np.clip(22 - age, 0, 4)
    expected = (on - date(on.year, 7, 1)).days - expected_years_ahead * 365
    graduation = np.where(studying_higher, expected, graduation_days_ago)

    working_age = (age >= 18) & (age <= 59) & ~studying_higher
    employment = np.full(n, 4)  # 未就业
    employment_labels = ["单位就业", "个体经营", "灵活就业", "登记失业", "未就业", "在校学生", "退休"]
    employment[working_age] = m.pick_value([0, 1, 2, 3, 4], [34, 10, 26, 4, 26])[working_age]
    employment[(stage > 0) & (age >= 6)] = 5
    employment[age >= 60] = m.pick_value([6, 4], [32, 68])[age >= 60]
    owner = (employment == 1) | ((employment == 0) & m.bern(0.03))
    business_days_ago = rng.integers(30, 365 * 12, n)
    veteran = male & (age >= 20) & (age <= 75) & m.bern(0.045)
    discharge_days_ago = np.where(m.bern(0.08), rng.integers(0, 700, n), rng.integers(700, 365 * 40, n))
    discharge_days_ago = np.minimum(discharge_days_ago, np.maximum(born_days_ago - 19 * 365, 0))

    frame = pl.DataFrame({
        "subject_id": np.arange(1, n + 1),
        "person.birth_date": m.dates(born_days_ago),
        "person.id_number": None,
        "person.gender": m.enum(["男", "女"], np.where(male, 0, 1)),
        "person.town": m.enum(list(TOWN_WEIGHTS), town),
        "person.hukou_town": m.enum(hukou_labels, hukou),
        "person.hukou_type": m.enum(["农业家庭户口", "居民户口"], np.where(rural, 0, 1)),
        "person.disabled": disabled,
        "cl.disability_level": m.enum(["一级", "二级", "三级", "四级"], level, disabled),
        "cl.disability_category": m.enum(["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"],
                                         category, disabled),
        "person.low_income": low_income,
        "person.extremely_poor": extremely_poor,
        "person.orphan": orphan,
        "person.unsupported_child": unsupported,
        "person.rural_support_category": m.enum(["脱贫人口", "防止返贫监测对象", "无"], support),
        "person.school_stage": m.enum(stage_labels, stage),
        "jtj.grade": m.enum(["一年级", "二年级", "三年级"], grade, in_grades),
        "person.education": m.enum(education_labels, education, age >= 16),
        "rsj.graduation_date": m.dates(graduation, graduate | studying_higher),
        "person.student_loan": np.where(studying_higher, m.bern(0.15), False),
        "person.employment_status": m.enum(employment_labels, employment, age >= 6),
        "person.hard_to_employ": working_age & m.bern(0.03),
        "person.migrant_returnee": working_age & rural & m.bern(0.02),
        "person.unemployment_benefit": (employment == 3) & m.bern(0.3),
        "person.business_owner": owner,
        "person.business_established_date": m.dates(business_days_ago, owner),
        "person.veteran": veteran,
        "tyjrj.placement_mode": m.enum(["自主就业", "安排工作"], m.pick_value([0, 1], [88, 12]), veteran),
        "tyjrj.discharge_date": m.dates(discharge_days_ago, veteran),
        "person.special_care": veteran & m.bern(0.05),
    })
    # The ID number carries the birth date: 6-digit county code, yyyymmdd, sequence, check character.
    frame = frame.with_columns(pl.concat_str(
        pl.lit("610830"), pl.col("person.birth_date").dt.strftime("%Y%m%d"),
        pl.Series(rng.integers(0, 1000, n)).cast(pl.String).str.zfill(3),
        pl.Series(list("0123456789X")).gather(rng.integers(0, 11, n))).alias("person.id_number"))
    return with_missing(frame, rng)


def make_enterprises(n: int, seed: int, on: date, categorical: bool) -> pl.DataFrame:
    m = Maker(n, seed, on, categorical)
    rng = m.rng
    type_labels = ["个体工商户", "有限责任公司", "农民专业合作社", "个人独资企业", "合伙企业", "股份有限公司", "分公司"]
    kind = m.pick(type_labels, [60, 25, 8, 4, 1, 0.5, 1.5])
    employees = np.where(kind == 0, rng.integers(1, 6, n),
                         np.minimum(np.exp(rng.normal(2.0, 1.2, n)).astype(int) + 1, 3000))
    scale = np.select([employees >= 300, employees >= 100, employees >= 10], [0, 1, 2], 3)
    insured = np.where(kind == 0, np.where(m.bern(0.2), rng.integers(0, 3, n), 0),
                       (employees * rng.uniform(0.6, 1.0, n)).astype(int))
    ui_months = np.where(insured > 0, np.where(m.bern(0.85), rng.integers(1, 120, n), 0), 0)
    layoff = np.where(m.bern(0.70), 0.0, np.minimum(rng.exponential(8.0, n), 100.0)).round(2)
    general = m.bern(np.where(scale <= 2, 0.8, 0.06))
    frame = pl.DataFrame({
        "subject_id": np.arange(1, n + 1) + 10_000_000,
        "enterprise.type": m.enum(type_labels, kind),
        "enterprise.industry": m.enum(INDUSTRIES, m.pick(INDUSTRIES, INDUSTRY_WEIGHTS)),
        "enterprise.established_date": m.dates((rng.power(0.6, n) * 365 * 30).astype(int)),
        "enterprise.employee_count": employees,
        "enterprise.scale": m.enum(["大型", "中型", "小型", "微型"], scale),
        "enterprise.taxpayer_type": m.enum(["一般纳税人", "小规模纳税人"], np.where(general, 0, 1)),
        "enterprise.tax_credit_grade": m.enum(["A", "B", "M", "C", "D"], m.pick("ABMCD", [10, 50, 30, 7, 3])),
        "enterprise.serious_dishonesty": m.bern(0.01),
        "enterprise.insured_employee_count": insured,
        "enterprise.unemployment_insurance_months": ui_months,
        "enterprise.layoff_rate": layoff,
        "enterprise.new_young_hires": np.where((insured > 0) & m.bern(0.10), rng.integers(1, 6, n), 0),
        "enterprise.new_poverty_hires": np.where((insured > 0) & m.bern(0.05), rng.integers(1, 4, n), 0),
    })
    return with_missing(frame, rng)


# --- policies ---------------------------------------------------------------------------------------------------

def seed_records() -> list[dict]:
    records = []
    for path in sorted(POLICIES.glob("*.yaml")):
        if not path.name.startswith("_"):
            records.extend(yaml.safe_load(path.read_text("utf-8"))["policies"])
    return records


def _age_from_id(node):
    """The same rule reading age from the ID number instead of the birth date."""
    if isinstance(node, dict):
        node = {k: _age_from_id(v) for k, v in node.items()}
        if node.get("element") == "person.birth_date" and node.get("measure") == "age":
            node["element"] = "person.id_number"
        return node
    if isinstance(node, list):
        return [_age_from_id(v) for v in node]
    return node


def published_policies(dictionary, total: int, rng: np.random.Generator) -> list:
    """The seeds, then county variants until `total`: the same rule for residents of a few towns (a town's own
    top-up), every other one reading age from the ID number; enterprise variants for some industries."""
    records = seed_records()
    persons = [r for r in records if r["target"] == "person"]
    enterprises = [r for r in records if r["target"] == "enterprise"]
    variants, i = [], 0
    while len(records) + len(variants) < total:
        if i % 4 == 3:
            base = copy.deepcopy(enterprises[i % len(enterprises)])
            industries = sorted(rng.choice(INDUSTRIES, size=3, replace=False).tolist())
            extra = {"element": "enterprise.industry", "op": "in", "value": industries,
                     "met": "所属行业为{actual}", "not_met": "所属行业不在本次扶持范围"}
            label = "、".join(industries[:2]) + "等行业"
        else:
            base = copy.deepcopy(persons[i % len(persons)])
            towns = sorted(rng.choice(TOWNS, size=int(rng.integers(2, 5)), replace=False).tolist())
            extra = {"element": "person.town", "op": "in", "value": towns,
                     "met": "居住在{actual}", "not_met": "不居住在本次加发的镇"}
            label = "、".join(towns)
            if i % 2:
                base["rule"] = _age_from_id(base["rule"])
        base["code"] = f"{base['code'][:50]}-v{i}"
        base["title"] = f"{base['title']}（{label}县级加发）"
        base["level"] = "county"
        base["rule"] = {"all": [base["rule"], extra]}
        variants.append(base)
        i += 1
    return [parse_policy(r, dictionary) for r in records + variants]


# --- measuring --------------------------------------------------------------------------------------------------

def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRss:
    """Samples this process's resident memory every 5 ms while the block runs."""

    def __enter__(self):
        self.peak, self._stop = rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=50)
    parser.add_argument("--sample", type=int, default=20_000, help="subjects for the interpreter batch")
    parser.add_argument("--explain", type=int, default=1000, help="subjects for the explained-check latency")
    parser.add_argument("--rounds", type=int, default=3, help="timed batch rounds")
    parser.add_argument("--on", type=date.fromisoformat, default=date(2026, 11, 30), help="evaluation date")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--strings", action="store_true", help="hold choice columns as String, not Categorical")
    parser.add_argument("--postgres", help="also run the batch as SQL in this PostgreSQL database (temporary tables)")
    args = parser.parse_args()
    on, rng = args.on, np.random.default_rng(args.seed)
    print(f"Polars {pl.__version__}, {pl.thread_pool_size()} threads, {os.cpu_count()} CPUs; evaluation date {on}")

    dictionary = load_dictionary(CATALOG / "data_elements")
    policies = published_policies(dictionary, args.policies, rng)
    by_target = {t: [p for p in policies if p.target == t and p.in_force(on)] for t in ("person", "enterprise")}
    print(f"policies: {len(policies)} published ({len(by_target['person'])} for persons, "
          f"{len(by_target['enterprise'])} for enterprises), "
          f"{sum(1 for p in policies for _ in conditions(p.rule))} conditions")

    started = time.perf_counter()
    persons = make_persons(args.persons, args.seed, on, not args.strings)
    enterprises = make_enterprises(args.enterprises, args.seed + 1, on, not args.strings)
    generated = time.perf_counter() - started
    size = (persons.estimated_size() + enterprises.estimated_size()) / 2**20
    print(f"generation: {persons.height:,} persons × {persons.width - 1} elements, {enterprises.height:,} enterprises "
          f"× {enterprises.width - 1} elements in {generated:.2f} s ({size:.0f} MB of columns); RSS {rss_mb():.0f} MB")
    shares = persons.select(
        (pl.col("person.birth_date").dt.year() <= on.year - 60).mean().alias("60+"),
        pl.col("person.disabled").mean().alias("disabled"), pl.col("person.low_income").mean().alias("low_income"),
        pl.col("person.birth_date").is_null().mean().alias("birth_date missing"))
    print("  persons: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.row(0, named=True).items()))

    def batch():
        return pl.concat([evaluate_all(by_target["person"], persons, on, target="person"),
                          evaluate_all(by_target["enterprise"], enterprises, on, target="enterprise")])

    times, matches = [], None
    for round_ in range(args.rounds):
        before = rss_mb()
        with PeakRss() as memory:
            started = time.perf_counter()
            matches = batch()
            times.append(time.perf_counter() - started)
        print(f"batch round {round_ + 1}: {times[-1]:.2f} s for {len(policies)} policies × "
              f"{persons.height + enterprises.height:,} subjects → {matches.height:,} matches; "
              f"RSS {before:.0f} MB before, peak {memory.peak:.0f} MB during (+{memory.peak - before:.0f} MB)")
    print(f"whole batch: median {statistics.median(times):.2f} s, best {min(times):.2f} s (target < 10 s)")

    counts = dict(matches.group_by("policy_code").len().iter_rows())
    print("\nmatches per policy:")
    for policy in policies:
        population = persons.height if policy.target == "person" else enterprises.height
        count = counts.get(policy.code, 0)
        print(f"  {count:>9,} {count / population:6.2%}  {policy.code:<48} {policy.title}")

    # one subject's explained check: every policy for that subject, with the trace and the questions
    person_share = persons.height / (persons.height + enterprises.height)
    n_person = round(args.explain * person_share)
    sample = (persons.sample(n_person, seed=args.seed).to_dicts()
              + enterprises.sample(args.explain - n_person, seed=args.seed).to_dicts())
    latencies, single = [], []
    for subject in sample:
        target = "person" if subject["subject_id"] < 10_000_000 else "enterprise"
        started = time.perf_counter()
        for policy in by_target[target]:
            t0 = time.perf_counter()
            explain(policy.rule, policy.parameters, subject, on)
            single.append(time.perf_counter() - t0)
        latencies.append(time.perf_counter() - started)
    print(f"\nexplained check of one subject (all {len(by_target['person'])} person or "
          f"{len(by_target['enterprise'])} enterprise policies, trace and questions), {len(sample)} subjects: "
          f"p50 {percentile(latencies, .5) * 1000:.2f} ms, p95 {percentile(latencies, .95) * 1000:.2f} ms, "
          f"max {max(latencies) * 1000:.2f} ms (target < 50 ms); one policy: p50 "
          f"{percentile(single, .5) * 1e6:.0f} µs, p95 {percentile(single, .95) * 1e6:.0f} µs")

    # the same batch by the interpreter, one subject at a time, on a sample
    n_person = round(args.sample * person_share)
    sample_persons = persons.sample(n_person, seed=args.seed + 1)
    sample_enterprises = enterprises.sample(args.sample - n_person, seed=args.seed + 1)
    rows = [("person", s) for s in sample_persons.to_dicts()] + \
           [("enterprise", s) for s in sample_enterprises.to_dicts()]
    started = time.perf_counter()
    found = {(s["subject_id"], p.code) for target, s in rows for p in by_target[target]
             if decide(p.rule, p.parameters, s, on) is True}
    interpreted = time.perf_counter() - started
    scaled = interpreted * (persons.height + enterprises.height) / len(rows)
    ids = set(sample_persons["subject_id"].to_list()) | set(sample_enterprises["subject_id"].to_list())
    compiled = {(i, c) for i, c in matches.iter_rows() if i in ids}
    print(f"interpreter batch on {len(rows):,} subjects: {interpreted:.1f} s → scaled to "
          f"{persons.height + enterprises.height:,} subjects: {scaled:.0f} s ({scaled / 60:.1f} min), "
          f"{scaled / statistics.median(times):.0f}× the compiled batch; "
          f"matches {'equal' if found == compiled else 'DIFFER'} ({len(found):,} on the sample)")
    agree = found == compiled
    if args.postgres:
        agree &= postgres_batch(args.postgres, {"person": persons, "enterprise": enterprises}, by_target, on,
                                matches, args.rounds)
    return 0 if agree else 1


# --- the SQL alternative (measured, not used by the platform) ---------------------------------------------------

def sql_for(node, values, on):
    """A rule as a PostgreSQL boolean expression (NULL = UNKNOWN) and its query parameters."""
    from psycopg import sql

    from yijianshi.policies.domain.rules import ID_NUMBER_PATTERN, AllOf, Condition, NotOf, operand_at

    if isinstance(node, NotOf):
        inner, params = sql_for(node.child, values, on)
        return sql.SQL("(NOT {})").format(inner), params
    if not isinstance(node, Condition):
        parts = [sql_for(child, values, on) for child in node.children]
        joiner = sql.SQL(" AND " if isinstance(node, AllOf) else " OR ")
        return sql.SQL("({})").format(joiner.join(p for p, _ in parts)), [v for _, ps in parts for v in ps]
    column = sql.Identifier(node.element)
    if node.op in ("exists", "missing"):
        return sql.SQL("({} IS {}NULL)").format(column, sql.SQL("NOT " if node.op == "exists" else "")), []
    x = column
    if node.measure:
        if node.element_type == "id_number":
            x = sql.SQL("(CASE WHEN {c} ~ {p} THEN to_date(substr({c}, 7, 8), 'YYYYMMDD') END)").format(
                c=column, p=sql.Literal(ID_NUMBER_PATTERN))
        if node.measure in ("age", "years_since"):
            x = sql.SQL("({y} - extract(year FROM {d})::int - CASE WHEN (extract(month FROM {d}), extract(day FROM "
                        "{d})) > ({m}, {dd}) THEN 1 ELSE 0 END)").format(
                y=sql.Literal(on.year), d=x, m=sql.Literal(on.month), dd=sql.Literal(on.day))
        elif node.measure == "months_since":
            x = sql.SQL("(({y} - extract(year FROM {d})::int) * 12 + {m} - extract(month FROM {d})::int - "
                        "CASE WHEN extract(day FROM {d}) > {dd} THEN 1 ELSE 0 END)").format(
                y=sql.Literal(on.year), d=x, m=sql.Literal(on.month), dd=sql.Literal(on.day))
        elif node.measure == "days_since":
            x = sql.SQL("({} - {})").format(sql.Literal(on), x)
        else:
            x = sql.SQL("({} - {})").format(x, sql.Literal(on))
    if node.op in ("is_true", "is_false"):
        return sql.SQL("({}{})").format(sql.SQL("" if node.op == "is_true" else "NOT "), x), []
    operand = operand_at(node, values)
    if node.op == "between":
        return sql.SQL("({} BETWEEN %s AND %s)").format(x), list(operand)
    if node.op in ("in", "not_in"):  # = ANY / <> ALL are NULL for a NULL value, like IN / NOT IN
        return sql.SQL("({} {} (%s))").format(x, sql.SQL("= ANY" if node.op == "in" else "<> ALL")), [list(operand)]
    symbol = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[node.op]
    return sql.SQL("({} {} %s)").format(x, sql.SQL(symbol)), [operand]


SQL_TYPES = {pl.Date: "date", pl.Int64: "bigint", pl.Int32: "bigint", pl.Float64: "double precision",
             pl.Boolean: "boolean"}


def postgres_batch(url, frames, policies_by_target, on, matches, rounds):
    import io

    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        started = time.perf_counter()
        for target, frame in frames.items():
            columns = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(SQL_TYPES.get(dtype, "text")))
                for name, dtype in frame.schema.items())
            connection.execute(sql.SQL("CREATE TEMP TABLE {} ({})").format(sql.Identifier(target), columns))
            buffer = io.BytesIO()
            frame.with_columns(pl.col(pl.Categorical).cast(pl.String)).write_csv(buffer, include_header=False)
            with connection.cursor().copy(sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv)").format(
                    sql.Identifier(target))) as copy:
                copy.write(buffer.getvalue())
            connection.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(target)))
        loaded = time.perf_counter() - started
        times, found = [], set()
        for _ in range(rounds):
            found = set()
            started = time.perf_counter()
            for target, policies in policies_by_target.items():
                for policy in policies:
                    where, params = sql_for(policy.rule, policy.parameters.at(on), on)
                    rows = connection.execute(sql.SQL("SELECT subject_id FROM {} WHERE {} IS TRUE").format(
                        sql.Identifier(target), where), params).fetchall()
                    found.update((row[0], policy.code) for row in rows)
            times.append(time.perf_counter() - started)
    compiled = set(matches.iter_rows())
    print(f"PostgreSQL batch: load {loaded:.1f} s (COPY + ANALYZE, not counted); "
          + ", ".join(f"{t:.1f} s" for t in times) + f" per round → median {statistics.median(times):.1f} s; "
          f"matches {'equal' if found == compiled else 'DIFFER'} ({len(found):,})")
    return found == compiled


if __name__ == "__main__":
    sys.exit(main())
