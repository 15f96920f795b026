"""12345 time limits as reviewable data (data/hotline/time_limits.yaml): per ticket kind and urgency, with a
default, and the one extension's maximum. Plain Python: `check_time_limits` validates the parsed file and says in
Chinese which kind, urgency and field is wrong; `current()` reads the file named by settings (re-read when it
changes on disk) so a reviewed edit applies to the next ticket without touching the existing ones' due dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.utils import timezone

from yijianshi.hotline.models import Ticket
from yijianshi.workdays import selectors as workdays

KINDS = {k.value: k.label for k in Ticket.Kind}
URGENCIES = {u.value: u.label for u in Ticket.Urgency}
MAX_HOURS = 72
MAX_WORKING_DAYS = 60
END_OF_DAY = time(18, 0)  # a limit in working days runs to the end of that working day


class TimeLimitError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(f"工单时限配置有 {len(errors)} 处错误：\n" + "\n".join(errors))


@dataclass(frozen=True)
class Limit:
    hours: int | None = None
    working_days: int | None = None

    @property
    def text(self) -> str:
        return f"{self.hours} 小时" if self.hours is not None else f"{self.working_days} 个工作日"

    def due(self, start: datetime) -> datetime:
        if self.hours is not None:
            return start + timedelta(hours=self.hours)
        day = workdays.add_working_days(timezone.localtime(start).date(), self.working_days)
        return timezone.make_aware(datetime.combine(day, END_OF_DAY))


@dataclass(frozen=True)
class TimeLimits:
    default: dict[str, Limit]
    kinds: dict[str, dict[str, Limit]]
    max_extension_days: int

    def limit(self, kind: str, urgency: str) -> Limit:
        return self.kinds.get(kind, {}).get(urgency) or self.default[urgency]

    def label(self, kind: str, urgency: str) -> str:
        """What the ticket page shows, e.g. “投诉·一般 5 个工作日”."""
        return f"{KINDS.get(kind, kind)}·{URGENCIES.get(urgency, urgency)} {self.limit(kind, urgency).text}"

    def table(self) -> list[tuple[str, str, str]]:
        return [(KINDS[k], URGENCIES[u], self.limit(k, u).text) for k in KINDS for u in URGENCIES]


def _limit(value, where: str, errors: list[str]) -> Limit | None:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("hours", "working_days"):
        errors.append(f"{where}：应写成 {{hours: N}}（紧急，按小时）或 {{working_days: N}}（按工作日），二者选一")
        return None
    key, number = next(iter(value.items()))
    top = MAX_HOURS if key == "hours" else MAX_WORKING_DAYS
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= top:
        errors.append(f"{where}.{key}：应为 1 到 {top} 之间的整数")
        return None
    return Limit(**{key: number})


def _urgencies(body, where: str, errors: list[str], *, complete: bool) -> dict[str, Limit]:
    if not isinstance(body, dict):
        errors.append(f"{where}：应按紧急程度（{'、'.join(f'{k} {v}' for k, v in URGENCIES.items())}）列出时限")
        return {}
    limits = {}
    for urgency, value in body.items():
        if urgency not in URGENCIES:
            errors.append(f"{where}.{urgency}：紧急程度不存在，应为 {'、'.join(URGENCIES)}")
            continue
        limit = _limit(value, f"{where}.{urgency}（{URGENCIES[urgency]}）", errors)
        if limit is not None:
            limits[urgency] = limit
    if complete:
        for urgency, label in URGENCIES.items():
            if urgency not in body:
                errors.append(f"{where}：缺少 {urgency}（{label}）的时限")
    return limits


def check_time_limits(raw, *, source: str = "time_limits.yaml") -> TimeLimits:
    """Validate the parsed file; raise TimeLimitError listing every problem."""
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise TimeLimitError([f"{source}：顶层应包含 default、kinds 和 extension"])
    for key in raw:
        if key not in ("default", "kinds", "extension"):
            errors.append(f"{source}：不认识的配置项 {key}（只能是 default、kinds、extension）")
    default = _urgencies(raw.get("default"), f"{source}：default", errors, complete=True)
    kinds: dict[str, dict[str, Limit]] = {}
    body = raw.get("kinds") or {}
    if not isinstance(body, dict):
        errors.append(f"{source}：kinds 应按诉求类型编码列出")
        body = {}
    for kind, value in body.items():
        if kind not in KINDS:
            errors.append(f"{source}：kinds.{kind}：诉求类型不存在，应为 "
                          + "、".join(f"{k}（{v}）" for k, v in KINDS.items()))
            continue
        kinds[kind] = _urgencies(value, f"{source}：kinds.{kind}（{KINDS[kind]}）", errors, complete=False)
    extension = raw.get("extension")
    days = extension.get("max_working_days") if isinstance(extension, dict) else None
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_WORKING_DAYS:
        errors.append(f"{source}：extension.max_working_days（延期最多工作日）：应为 1 到 {MAX_WORKING_DAYS} 之间的整数")
    if errors:
        raise TimeLimitError(errors)
    return TimeLimits(default=default, kinds=kinds, max_extension_days=days)


def path() -> Path:
    return Path(getattr(settings, "HOTLINE_TIME_LIMITS_FILE", settings.DATA_DIR / "hotline" / "time_limits.yaml"))


def load(file: Path) -> TimeLimits:
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TimeLimitError([f"{file}：文件不存在"]) from None
    except yaml.YAMLError as exc:
        raise TimeLimitError([f"{file.name}：YAML 格式错误：{exc}"]) from None
    return check_time_limits(raw, source=file.name)


_cache: dict[tuple[str, int], TimeLimits] = {}


def current() -> TimeLimits:
    """The limits in force: the file as it is on disk now (parsed once per change of its modification time)."""
    file = path()
    try:
        key = (str(file), file.stat().st_mtime_ns)
    except FileNotFoundError:
        raise TimeLimitError([f"{file}：文件不存在"]) from None
    if key not in _cache:
        _cache.clear()
        _cache[key] = load(file)
    return _cache[key]
