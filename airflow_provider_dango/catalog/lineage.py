"""Lineage over the catalog model's edges: upstream / downstream impact and a focus subgraph of bounded depth, so
a 2,000-node project stays readable (the page draws the subgraph, never the whole graph)."""

from __future__ import annotations

from collections import deque
from typing import Any


def _adjacency(edges: list[list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for parent, child in edges:
        down.setdefault(parent, []).append(child)
        up.setdefault(child, []).append(parent)
    return up, down


def reach(edges: list[list[str]], focus: str, direction: str, depth: int | None = None) -> dict[str, int]:
    """Nodes reachable from `focus` going `up` or `down`, with their distance (at most `depth` when given)."""
    up, down = _adjacency(edges)
    graph = up if direction == "up" else down
    seen = {focus: 0}
    queue = deque([focus])
    while queue:
        node = queue.popleft()
        if depth is not None and seen[node] >= depth:
            continue
        for nxt in graph.get(node, []):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    seen.pop(focus)
    return seen


def subgraph(model: dict[str, Any], focus: str, depth: int = 2) -> dict[str, Any]:
    """The focus node, its neighbours within `depth` each way (level -d..+d) and the edges among them; plus the
    full downstream impact count."""
    edges = model["lineage"]["edges"]
    ups = reach(edges, focus, "up", depth)
    downs = reach(edges, focus, "down", depth)
    levels = {focus: 0, **{k: -v for k, v in ups.items()}, **downs}
    return {
        "focus": focus,
        "levels": levels,
        "edges": [e for e in edges if e[0] in levels and e[1] in levels],
        "upstream": sorted(reach(edges, focus, "up")),
        "downstream": sorted(reach(edges, focus, "down")),
    }
