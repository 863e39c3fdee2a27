"""Pause Python's cyclic garbage collector while the catalog is built.

A 2,000-model catalog creates about a million small dicts and lists, none of them in reference cycles (they are
freed by reference counting). Each allocation burst triggers the collector, which walks the ever-growing heap: it was
more than half of `build_model`'s CPU time. Paused, then restored, around the bulk work only."""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def gc_paused(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper  # type: ignore[return-value]
