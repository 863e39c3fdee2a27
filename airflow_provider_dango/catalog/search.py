"""Ranked search over the catalog model: names, column names, descriptions, tags and meta.

Ranking (higher first): exact node name, node name prefix, node name substring, exact column name, column name
substring, node description, column description, tags / meta. Nodes with failing checks keep their rank and are
marked `failing`. The static page ranks with the same rules in JavaScript (`static/app.js`, `searchLocal`).

Each field's texts are joined into one lower-cased string, so matching is one C-speed scan per field (a 2,000-model x
30-column project answers in a few milliseconds) instead of a Python loop over 100,000 strings.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

LIMIT = 50
SEP = "\x00"
# field -> (exact, prefix, substring) scores
SCORES = {
    "name": (100, 80, 60),
    "column": (50, 40, 40),
    "description": (30, 30, 30),
    "column_description": (20, 20, 20),
    "tags": (10, 10, 10),
}


class _Field:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.owners: list[tuple[int, str | None]] = []
        self.size = 0
        self.text = ""
        self.node_end: list[int] = []  # per entry: where the next node's entries start

    def add(self, node: int, column: str | None, text: str) -> None:
        text = text.lower().replace(SEP, " ")
        self.starts.append(self.size)
        self.owners.append((node, column))
        self.parts.append(text)
        self.size += len(text) + 1

    def freeze(self) -> None:
        self.text = SEP.join(self.parts) + SEP
        self.parts = []
        self.node_end = [0] * len(self.owners)
        end = len(self.text)
        for k in range(len(self.owners) - 1, -1, -1):
            if k + 1 < len(self.owners) and self.owners[k + 1][0] != self.owners[k][0]:
                end = self.starts[k + 1]
            self.node_end[k] = end


class SearchIndex:
    """The search texts of one catalog model, built once per model."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.nodes = model["nodes"]
        self.fields = {name: _Field() for name in SCORES}
        for i, n in enumerate(self.nodes):
            self.fields["name"].add(i, None, n["name"] or "")
            if n.get("description"):
                self.fields["description"].add(i, None, n["description"])
            extra = " ".join(n.get("tags") or []) + " " + (json.dumps(n["meta"]) if n.get("meta") else "")
            if extra.strip():
                self.fields["tags"].add(i, None, extra)
            for c in n["columns"]:
                self.fields["column"].add(i, c["name"], c["name"])
                if c.get("description"):
                    self.fields["column_description"].add(i, c["name"], c["description"])
                if c.get("tags") or c.get("meta"):
                    self.fields["tags"].add(
                        i, c["name"], " ".join(c.get("tags") or []) + " " + json.dumps(c.get("meta") or {})
                    )
        for f in self.fields.values():
            f.freeze()

    def search(self, query: str, limit: int = LIMIT) -> list[dict[str, Any]]:
        q = query.strip().lower().replace(SEP, " ")
        if not q:
            return []
        best: dict[int, tuple[int, str, str | None]] = {}
        pattern = re.compile(re.escape(q))
        for name, (exact, prefix, inside) in SCORES.items():
            f = self.fields[name]
            if sum(1 for s, _, _ in best.values() if s > exact) >= limit:
                break  # the top `limit` already outrank anything this field (and the later ones) can score
            pos = 0
            while (m := pattern.search(f.text, pos)) is not None:
                k = bisect.bisect_right(f.starts, m.start()) - 1
                node, column = f.owners[k]
                if node in best and best[node][0] >= exact:
                    pos = f.node_end[k]  # this field cannot improve this node: go to the next node's entries
                    continue
                start = f.starts[k]
                end = (f.starts[k + 1] - 1) if k + 1 < len(f.starts) else len(f.text) - 1
                score = exact if m.start() == start and m.end() == end else prefix if m.start() == start else inside
                if node not in best or score > best[node][0]:
                    best[node] = (score, name, column)
                pos = f.node_end[k] if score >= exact or score == inside == prefix else m.start() + 1
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], self.nodes[kv[0]]["name"]))[:limit]
        out = []
        for i, (score, field, column) in ranked:
            n = self.nodes[i]
            out.append(
                {
                    "unique_id": n["unique_id"],
                    "name": n["name"],
                    "resource_type": n["resource_type"],
                    "layer": n["layer"],
                    "score": score,
                    "field": field,
                    "column": column,
                    "failing": bool(n.get("failing")),
                }
            )
        return out
