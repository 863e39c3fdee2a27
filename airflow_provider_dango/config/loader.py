"""Read YAML with line numbers and turn every problem into one `FILE:LINE: message` line.

Users edit these files by hand, so an error has to say where it is. PyYAML's composer keeps a mark for every node; we
index those marks by their path (`("schedules", 0, "cron")`) and look pydantic's error locations up in that index.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a project, pinned to a file and line."""

    file: Path
    line: int | None
    message: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        prefix = "warning: " if self.level == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class ConfigError(Exception):
    """Raised when a config file cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class YamlDocument:
    """A parsed YAML file plus the line of every key and list item in it."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    # Duplicate keys, as the path of each repeat. The file still loads: `problems` reports them, and a list entry
    # that holds one is skipped by the loaders (`has_duplicate_in`); elsewhere the key is dropped.
    duplicates: list[Loc] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def has_duplicate_in(self, loc: Loc) -> bool:
        """True when the node at `loc` (a list entry, say) holds a duplicate key anywhere inside it."""
        return any(dup[: len(loc)] == tuple(loc) for dup in self.duplicates)

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest node on `loc` that exists (an absent key points at its parent)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def problem(self, loc: Loc, message: str, level: Literal["error", "warning"] = "error") -> Problem:
        return Problem(self.path, self.line_of(loc), message, level)


def _index_lines(node: yaml.Node, loc: Loc, doc: YamlDocument) -> None:
    lines = doc.lines
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                doc.duplicates.append((*loc, key))
                effect = "its list entry is skipped" if any(isinstance(p, int) for p in loc) else "the key is ignored"
                message = f"{format_loc((*loc, key))}: duplicate key {key!r}; {effect}"
                doc.problems.append(Problem(doc.path, key_node.start_mark.line + 1, message))
                continue
            seen.add(key)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _index_lines(value_node, (*loc, key), doc)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            _index_lines(item, (*loc, i), doc)


def _drop_ambiguous_keys(doc: YamlDocument) -> None:
    """A duplicate outside any list entry: neither value is trusted, so the key is left out (and reported)."""
    for dup in doc.duplicates:
        if any(isinstance(part, int) for part in dup):
            continue  # inside a list entry: the loader of that list skips the whole entry
        parent = doc.data
        for part in dup[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(dup[-1], None)


def load_yaml(path: Path, display_path: Path | None = None) -> YamlDocument:
    """Parse `path`; raise ConfigError with the YAML error's own line when the file is not valid YAML."""
    shown = display_path or path
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(shown, None, f"not UTF-8 text ({exc.reason})")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([Problem(shown, line, f"invalid YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(shown, None, f"invalid YAML: {exc}")]) from None
    doc = YamlDocument(shown, data)
    if node is not None:
        _index_lines(node, (), doc)
        _drop_ambiguous_keys(doc)
    return doc


def format_loc(loc: Loc) -> str:
    """`("schedules", 0, "cron")` -> `schedules[0].cron`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(annotation: Any) -> Iterator[Any]:
    """Every class an annotation may hold: `list[Webhook] | None` -> Webhook, list, NoneType."""
    origin = typing.get_origin(annotation)
    if origin is None:
        yield annotation
        return
    if origin in (Union, types.UnionType, list, tuple, set, dict, typing.Annotated):
        for arg in typing.get_args(annotation):
            yield from _unwrap(arg)
    else:
        yield origin


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping found at `loc`, if we can tell."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        found = None
        for name, info in current.model_fields.items():
            if part in (name, info.alias, info.validation_alias):
                found = info.annotation
                break
        if found is None:
            return None
        current = next((c for c in _unwrap(found) if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return current


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _field_names(model: type[BaseModel]) -> list[str]:
    names: list[str] = []
    for name, info in model.model_fields.items():
        names.append(info.alias or name)
        if isinstance(info.validation_alias, str):
            names.append(info.validation_alias)
        elif info.validation_alias is not None and hasattr(info.validation_alias, "choices"):
            names.extend(c for c in info.validation_alias.choices if isinstance(c, str))
    return names


def validation_problems(
    doc: YamlDocument, error: ValidationError, model: type[BaseModel], base: Loc = ()
) -> list[Problem]:
    """One Problem per pydantic error, with the YAML line and a did-you-mean hint for unknown keys."""
    problems = []
    for err in error.errors(include_url=False):
        loc: Loc = (*base, *(p for p in err["loc"] if not _is_union_tag(p)))
        key = format_loc(loc)
        if err["type"] == "extra_forbidden":
            parent = _model_at(model, tuple(err["loc"][:-1]))
            hint = did_you_mean(str(loc[-1]), _field_names(parent)) if parent else ""
            message = f"{key}: unknown key{hint}"
        elif err["type"] == "missing":
            message = f"{key}: required key is missing"
        else:
            text = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            message = f"{key}: {text}" if key else text
        problems.append(doc.problem(loc, message))
    return problems


def _is_union_tag(part: str | int) -> bool:
    """pydantic puts the chosen union member (`function-after[...]`, `list[str]`) into error locations."""
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool", "float", "date", "datetime"})
