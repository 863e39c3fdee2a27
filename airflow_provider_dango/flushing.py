"""The one result type of a flush: the audit spool and the alert outbox both move local rows on to their destination."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FlushResult:
    """delivered: rows moved on; pending: still queued; failed: gave up on; busy: the destination was locked;
    error: why nothing moved; purged: rows removed past retention."""

    delivered: int = 0
    pending: int = 0
    failed: int = 0
    busy: bool = False
    error: str | None = None
    purged: int = 0
