"""Draw a bundle's 前后置 order as an SVG flow: one column per stage, an arrow per prerequisite.

Plain Python returning markup, so the same drawing serves the web page (inline) and the PDF (as an image).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BOX_WIDTH = 210
BOX_HEIGHT = 64
COLUMN_GAP = 70
ROW_GAP = 18
MARGIN = 16
HEADER = 28
LANE_GAP = 36
CHARS_PER_LINE = 13
FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif"


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    department: str


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    lines = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def flow_svg(stages: list[list[Node]], prerequisites: dict[str, list[str]], title: str = "") -> str:
    """SVG of the stages; `prerequisites` maps a node code to the codes it waits for."""
    position: dict[str, tuple[float, float]] = {}
    column_of = {node.code: column for column, stage in enumerate(stages) for node in stage}
    # An arrow that skips a stage would run behind the boxes in between, so it takes a lane below them.
    skips = any(column_of[code] - column_of[before] > 1
                for code, waits_for in prerequisites.items() if code in column_of
                for before in waits_for if before in column_of)
    tallest = max((len(stage) for stage in stages), default=0)
    boxes_bottom = MARGIN + HEADER + tallest * BOX_HEIGHT + max(tallest - 1, 0) * ROW_GAP
    lane = boxes_bottom + LANE_GAP / 2
    height = boxes_bottom + MARGIN + (LANE_GAP if skips else 0)
    width = MARGIN * 2 + len(stages) * BOX_WIDTH + max(len(stages) - 1, 0) * COLUMN_GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title or "办理流程图")}" class="flow" font-family="{FONT}">',
        f"<title>{escape(title or '办理流程图')}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6b7f"/></marker></defs>',
    ]
    for column, stage in enumerate(stages):
        x = MARGIN + column * (BOX_WIDTH + COLUMN_GAP)
        label = "同时开始" if column == 0 else f"第 {column + 1} 步"
        parts.append(f'<text x="{x + BOX_WIDTH / 2}" y="{MARGIN + 14}" text-anchor="middle" font-size="13" '
                     f'fill="#5b6b7f">{label}</text>')
        # Centre shorter columns so arrows stay short.
        column_height = len(stage) * BOX_HEIGHT + max(len(stage) - 1, 0) * ROW_GAP
        top = MARGIN + HEADER + (tallest * BOX_HEIGHT + max(tallest - 1, 0) * ROW_GAP - column_height) / 2
        for row, node in enumerate(stage):
            y = top + row * (BOX_HEIGHT + ROW_GAP)
            position[node.code] = (x, y)
    for code, waits_for in prerequisites.items():
        if code not in position:
            continue
        x2, y2 = position[code]
        for before in waits_for:
            if before not in position:
                continue
            x1, y1 = position[before]
            if column_of[code] - column_of[before] > 1:
                # Leave the bottom of the earlier box, run along the lane, enter the bottom of the later one.
                start = (x1 + BOX_WIDTH / 2, y1 + BOX_HEIGHT)
                end = (x2 + BOX_WIDTH / 2, y2 + BOX_HEIGHT + 2)
                d = (f"M{start[0]},{start[1]} C{start[0]},{lane} {start[0]},{lane} {start[0] + 20},{lane} "
                     f"L{end[0] - 20},{lane} C{end[0]},{lane} {end[0]},{lane} {end[0]},{end[1]}")
            else:
                start = (x1 + BOX_WIDTH, y1 + BOX_HEIGHT / 2)
                end = (x2 - 2, y2 + BOX_HEIGHT / 2)
                bend = (end[0] - start[0]) / 2
                d = (f"M{start[0]},{start[1]} C{start[0] + bend},{start[1]} {end[0] - bend},{end[1]} "
                     f"{end[0]},{end[1]}")
            parts.append(f'<path d="{d}" fill="none" stroke="#5b6b7f" stroke-width="1.5" marker-end="url(#arrow)"/>')
    for stage in stages:
        for node in stage:
            x, y = position[node.code]
            parts.append(f'<g class="flow-node" data-code="{escape(node.code)}">')
            parts.append(f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="8" '
                         f'fill="#eef4fb" stroke="#2d6cb5" stroke-width="1.2"/>')
            lines = _wrap(node.name, CHARS_PER_LINE, 2)
            for i, line in enumerate(lines):
                parts.append(f'<text x="{x + 10}" y="{y + 22 + i * 18}" font-size="14" fill="#1c2b3a">'
                             f"{escape(line)}</text>")
            parts.append(f'<text x="{x + 10}" y="{y + BOX_HEIGHT - 8}" font-size="12" fill="#5b6b7f">'
                         f"{escape(node.department)}</text>")
            parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
