"""Shared base for every config model: unknown keys are errors, values are immutable once loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DangoModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DeterministicError(Exception):
    """A failure that retrying cannot fix (bad config, missing file, failed data check); the message says what to
    change. Lives in the lowest layer so every layer may raise it; `failures.py` classifies errors with it."""
