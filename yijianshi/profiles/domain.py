"""Plain-Python rules of the profiles: reading a department's feed file into rows, checking one row's value against
its data element (the catalog's rules, as the application forms apply them), the effective date, and how values are
shown. No database here; services.py looks people and elements up and writes.

Feed file format (documented on the upload page):

    CSV, UTF-8 (with or without BOM) or GB18030 as Excel saves it, first line the header:
        subject,name,element,value,effective_date
    (Chinese headers 主体标识,姓名,数据元,值,生效日期 are accepted too; column order is free.)

    JSON: {"rows": [{"subject": ..., "name": ..., "element": ..., "value": ..., "effective_date": ...}, ...]}
    or the bare list.

subject: a citizen ID number (persons) or a unified social credit code (enterprises).
name: the person's name, required for persons (checked against the platform's record; used to create someone the
    platform does not know yet); ignored for enterprises.
effective_date: the day the value took effect at the source department (registered, assessed, changed), YYYY-MM-DD,
    not after the day of import.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from yijianshi.cases.domain.forms import FieldRule, clean_form
from yijianshi.privacy import masking

COLUMNS = ("subject", "name", "element", "value", "effective_date")
REQUIRED_COLUMNS = ("subject", "element", "value", "effective_date")
COLUMN_ALIASES = {"主体标识": "subject", "证件号码": "subject", "姓名": "name", "名称": "name", "数据元": "element",
                  "值": "value", "生效日期": "effective_date"}
COLUMN_LABELS = {"subject": "主体标识", "name": "姓名", "element": "数据元", "value": "值",
                 "effective_date": "生效日期"}


class FeedFormatError(ValueError):
    """The file as a whole cannot be read (encoding, header, JSON shape); nothing in it is looked at."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class FeedRow:
    line: int          # CSV: the file's line number (header is line 1); JSON: the row's position, from 1
    subject: str
    name: str
    element: str
    value: Any
    effective_date: str


def decode(content: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030, which is what Excel in Chinese saves a CSV as."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FeedFormatError("文件编码无法识别：请保存为 UTF-8 或 GBK（GB18030）编码")


def _text(raw) -> str:
    return "" if raw is None else str(raw).strip()


def parse_feed(text: str, fmt: str) -> Iterator[FeedRow]:
    """The rows of a decoded feed file, one at a time (a 100 000-row file is never held as row objects at once)."""
    if fmt == "csv":
        yield from _parse_csv(text)
    elif fmt == "json":
        yield from _parse_json(text)
    else:
        raise FeedFormatError("文件格式：只支持 CSV 或 JSON")


def _columns(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff")
        name = COLUMN_ALIASES.get(name, name.lower())
        if name in COLUMNS:
            if name in positions:
                raise FeedFormatError(f"表头：列“{COLUMN_LABELS[name]}（{name}）”出现了两次")
            positions[name] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        names = "、".join(f"{COLUMN_LABELS[c]}（{c}）" for c in missing)
        raise FeedFormatError(f"表头：缺少列 {names}；第一行应为 subject,name,element,value,effective_date")
    return positions


def _parse_csv(text: str) -> Iterator[FeedRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FeedFormatError("文件是空的") from None
    except csv.Error as exc:
        raise FeedFormatError(f"第 1 行：CSV 格式错误（{exc}）") from None
    positions = _columns(header)
    width = max(positions.values()) + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FeedFormatError(f"第 {reader.line_num} 行：CSV 格式错误（{exc}），文件未处理") from None
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (Excel leaves them at the end)
        cells = cells + [""] * (width - len(cells))
        yield FeedRow(line=reader.line_num, subject=_text(cells[positions["subject"]]),
                      name=_text(cells[positions["name"]]) if "name" in positions else "",
                      element=_text(cells[positions["element"]]), value=cells[positions["value"]].strip(),
                      effective_date=_text(cells[positions["effective_date"]]))


def _parse_json(text: str) -> Iterator[FeedRow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedFormatError(f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}") from None
    rows = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise FeedFormatError("JSON：应为 {\"rows\": [...]} 或由行对象组成的数组")
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            yield FeedRow(position, "", "", "", None, "")  # reported as a bad row by check_row_shape
            continue
        value = row.get("value")
        yield FeedRow(line=position, subject=_text(row.get("subject")), name=_text(row.get("name")),
                      element=_text(row.get("element")), value=value.strip() if isinstance(value, str) else value,
                      effective_date=_text(row.get("effective_date")))


# --- One row -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ElementRule:
    """What a value of a profile element must look like (the catalog's data type and validation)."""

    code: str
    name: str
    data_type: str
    validation: dict


def check_value(rule: ElementRule, raw) -> tuple[Any, str]:
    """(clean value, "") or (None, "数据元名称：原因"). The same rules the application forms apply."""
    clean, errors = clean_form([FieldRule(element=rule.code, label=rule.name, data_type=rule.data_type,
                                          required=True, validation=rule.validation or {})], {rule.code: raw})
    if errors:
        message = errors[rule.code]
        choices = (rule.validation or {}).get("choices")
        if choices and message.endswith("请从给定选项中选择"):
            message += f"（{'、'.join(map(str, choices))}）"
        return None, message
    value = clean[rule.code]
    if rule.data_type == "decimal":
        # One spelling per number, so "500", "500.0" and "5E+2" are the same value and not a change.
        value = format(Decimal(value).normalize(), "f")
    return value, ""


def check_effective_date(raw: str, *, today: date) -> tuple[date | None, str]:
    if not raw:
        return None, "生效日期：必填，格式 YYYY-MM-DD"
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None, "生效日期：应为 YYYY-MM-DD 格式的日期，如 2024-03-01"
    if len(raw) != 10:
        return None, "生效日期：应为 YYYY-MM-DD 格式的日期，如 2024-03-01"
    if day > today:
        return None, "生效日期：不能晚于导入当天"
    if day.year < 1900:
        return None, "生效日期：早于 1900 年，请核对"
    return day, ""


_ID_SHAPE = re.compile(r"^\d{17}[\dXx]$")


def looks_like_id_number(subject: str) -> bool:
    return bool(_ID_SHAPE.match(subject.replace(" ", "")))


def mask_subject(subject: str) -> str:
    """Subjects in an error report: ID numbers masked, credit codes (public) as they are."""
    return masking.mask_id_number(subject) if looks_like_id_number(subject) else subject[:30]


# --- Values ------------------------------------------------------------------------------------------------------

def encode_value(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def display_value(value, *, mask: str = "") -> str:
    """A value as a page shows it: booleans in words, ID-like and phone values masked, anything that looks like an
    ID or mobile number inside free text masked too."""
    if isinstance(value, bool):
        return "是" if value else "否"
    text = "" if value is None else str(value)
    if mask == "id_number":
        return masking.mask_id_number(text)
    if mask == "mobile":
        return masking.mask_mobile(text)
    if mask == "name":
        return masking.mask_name(text)
    return mask_evidence(text)


def default_mask(data_type: str) -> str:
    return {"id_number": "id_number", "phone": "mobile"}.get(data_type, "")


# An ID number inside a longer certificate number (a 残疾人证号 is the ID number plus two codes), which
# masking.mask_text leaves alone because digits follow it.
_EMBEDDED_ID = re.compile(r"(\d{6})((?:19|20)\d{6})(\d{3}[0-9Xx])")


def mask_evidence(text: str) -> str:
    """A certificate identifier or case number as a page shows it: any ID or mobile number in it masked."""
    return _EMBEDDED_ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), masking.mask_text(text or ""))
