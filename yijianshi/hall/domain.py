"""Rules of the hall queue that need no database: the green channel (绿色通道), numbers, the order of calling and
the wait estimate.

绿色通道 (the work plan: 建立老年人、残疾人绿色通道):
- 70 岁以上老年人: automatic, from the birth date in the ID number (the signed-in resident's own, or one typed or
  read at the kiosk; the number itself is not kept).
- 孕妇, 退役军人及优抚对象: the resident says so when taking the number; the window checks the 优待证 or simply sees.
- 残疾人: only a member of staff ticks it, after seeing the 残疾人证 at the guide desk or the window.
A green-channel ticket is called first at the 绿色通道窗口 (whatever its category) and before the ordinary tickets
of its category at every other window; among themselves green-channel tickets keep the order they came in.
"""

from __future__ import annotations

import math
from datetime import date

GREEN_CHANNEL_AGE = 70
DECLARABLE = ("pregnant", "veteran")   # may be declared by the resident
STAFF_VERIFIED = ("disabled",)         # ticked by staff who saw the certificate


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def is_aged(birth: date | None, today: date) -> bool:
    return birth is not None and age_on(birth, today) >= GREEN_CHANNEL_AGE


def number_text(prefix: str, serial: int) -> str:
    """A017: the category's letter and the day's serial, three digits (four on a day past 999)."""
    return f"{prefix}{serial:03d}"


def queue_key(priority_rank: int, queued_at, pk: int) -> tuple:
    """The order of calling within one queue: green channel first, then first come (the time the number was
    taken, kept through transfers), ties by ticket id."""
    return (priority_rank, queued_at, pk)


def estimate_wait_minutes(ahead: int, service_minutes: list[float], windows: int, default_minutes: float) -> int:
    """Minutes until the ticket is called: the people ahead, times today's mean time per service at the windows
    that serve the queue (the default before any service has ended today), shared among the windows open."""
    if ahead <= 0:
        return 0
    mean = sum(service_minutes) / len(service_minutes) if service_minutes else default_minutes
    return max(1, math.ceil(ahead * mean / max(1, windows)))


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
