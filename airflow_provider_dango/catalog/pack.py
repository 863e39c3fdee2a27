"""The page's compact form of the catalog model: the same content, a third of the bytes.

A 2,000-model x 30-column project has 60,000 columns; as dicts with every key they weigh ~40 MB, too much for a page.
Here each column is a positional array and each profile another, with empty values dropped and long decimals cut to
six significant digits; `unpack` in `static/app.js` rebuilds the dicts `catalog.json` has. `catalog.json` and the
JSON API keep the full form."""

from __future__ import annotations

from typing import Any

from airflow_provider_dango.catalog.gcpause import gc_paused

PROFILE_FIELDS = [
    "kind",
    "null_share",
    "distinct_count",
    "min_value",
    "max_value",
    "mean_value",
    "p25",
    "p50",
    "p75",
    "min_length",
    "max_length",
    "mean_length",
    "top_values",
    "masked",
    "distinct_approx",
    "null_count",
    "row_count",
]
SHORTEN = frozenset({"null_share", "mean_value", "p25", "p50", "p75", "mean_length"})
COLUMN_EXTRAS = ("tags", "meta", "drift", "tests", "pii_overrides", "profile_history")


def _short(value: Any) -> Any:
    """Decimals to 6 significant digits (numbers and numeric text); everything else unchanged."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if (
        isinstance(value, str)
        and len(value) > 8
        and value[:1] in "-0123456789"
        and "-" not in value[1:]
        and ":" not in value
    ):
        try:
            return f"{float(value):.6g}"
        except ValueError:
            return value
    return value


def _trim(values: list[Any]) -> list[Any]:
    while values and values[-1] in (None, [], False):
        values.pop()
    return values


_SHORT_AT = tuple(i for i, k in enumerate(PROFILE_FIELDS) if k in SHORTEN)


def pack_column(c: dict[str, Any]) -> list[Any]:
    p = c.get("profile")
    if p:
        profile = [p.get(k) for k in PROFILE_FIELDS]
        for i in _SHORT_AT:
            if profile[i] is not None:
                profile[i] = _short(profile[i])
        _trim(profile)
    else:
        profile = 0
    extras = {k: c[k] for k in COLUMN_EXTRAS if c.get(k)}
    if "profile_history" in extras and len(extras["profile_history"]) < 2:
        extras.pop("profile_history")
    return _trim(
        [c["name"], c.get("data_type") or "", c.get("description") or "", profile, c.get("pii") or [], extras or None]
    )


@gc_paused
def pack(model: dict[str, Any]) -> dict[str, Any]:
    nodes = []
    for n in model["nodes"]:
        node = {k: v for k, v in n.items() if k != "columns" and v not in (None, [], {}, "")}
        node["columns"] = [pack_column(c) for c in n["columns"]]
        nodes.append(node)
    return {**model, "nodes": nodes, "packed": True, "profile_fields": PROFILE_FIELDS}
