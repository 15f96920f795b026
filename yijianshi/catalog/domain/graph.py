"""Order between a bundle's sub-items (前后置), as plain Python over item codes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CycleError(ValueError):
    """The prerequisites loop back on themselves, so no order exists."""


def topological_stages(prerequisites: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Group nodes into stages: stage 0 starts at once, stage n waits only for earlier stages.

    `prerequisites` maps each node to the nodes that must finish before it. Order inside a stage follows
    the mapping's order, so stages read like the attachment.
    """
    order = list(prerequisites)
    unknown = {p for preds in prerequisites.values() for p in preds} - set(order)
    if unknown:
        raise ValueError(f"unknown prerequisites: {sorted(unknown)}")
    stage_of: dict[str, int] = {}
    remaining = list(order)
    while remaining:
        ready = [n for n in remaining if all(p in stage_of for p in prerequisites[n])]
        if not ready:
            raise CycleError("、".join(remaining))
        for node in ready:
            stage_of[node] = max((stage_of[p] + 1 for p in prerequisites[node]), default=0)
        remaining = [n for n in remaining if n not in stage_of]
    stages: list[list[str]] = [[] for _ in range(max(stage_of.values(), default=-1) + 1)]
    for node in order:
        stages[stage_of[node]].append(node)
    return stages


def critical_path(prerequisites: Mapping[str, Sequence[str]], duration: Mapping[str, int]) -> tuple[int, list[str]]:
    """Longest chain of durations through the graph: the time the whole bundle takes when run in parallel.

    Returns the total and the chain of nodes that makes it, first to last.
    """
    finish: dict[str, int] = {}
    via: dict[str, str | None] = {}
    for stage in topological_stages(prerequisites):
        for node in stage:
            before = max(prerequisites[node], key=lambda p: finish[p], default=None)
            finish[node] = duration[node] + (finish[before] if before else 0)
            via[node] = before
    if not finish:
        return 0, []
    last = max(finish, key=finish.get)
    chain = [last]
    while via[chain[-1]]:
        chain.append(via[chain[-1]])
    return finish[last], list(reversed(chain))
