"""Who may do what, and where: the per-user rate limit, the admin policy, channel scopes and the feedback
log — small pure pieces the Discord service (chat/service.py) is made with."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class RateLimiter:
    """At most `limit` questions per user in any `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[int, deque[float]] = {}

    def check(self, user_id: int) -> float:
        """0 if the question may go ahead (and counts it), else seconds until it may."""
        now = self.clock()
        q = self._seen.setdefault(user_id, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        if len(q) >= self.limit:
            return max(0.1, self.window - (now - q[0]))
        q.append(now)
        return 0.0


@dataclass(frozen=True)
class AdminPolicy:
    user_ids: frozenset[int] = frozenset()
    role_ids: frozenset[int] = frozenset()

    def allows(self, user_id: int, role_ids: Iterable[int], can_manage_guild: bool) -> bool:
        """Configured admins only; with none configured, members who can manage the server."""
        if self.user_ids or self.role_ids:
            return user_id in self.user_ids or bool(self.role_ids & set(role_ids))
        return can_manage_guild


def hash_user(user_id: int, salt: str = "sitrep-feedback") -> str:
    return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()[:16]


class FeedbackLog:
    """Appends one JSON line per vote: {time, question, answer_ids, vote, user}."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, question: str, answer_ids: list[str], vote: str, user_id: int) -> dict[str, Any]:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question": question,
            "answer_ids": answer_ids,
            "vote": vote,
            "user": hash_user(user_id),
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry


@dataclass(frozen=True)
class Scope:
    """A channel's defaults (SITREP_DISCORD_CHANNEL_SCOPES): only this source, only since this long ago."""

    source: str | None = None
    since: str | None = None  # "30d", "2w", or a date

    def describe(self) -> str:
        parts = ([f"source {self.source}"] if self.source else []) + ([f"since {self.since}"] if self.since else [])
        return ", ".join(parts) or "everything"


def parse_scopes(raw: str) -> dict[int, Scope]:
    """"CHANNEL=SOURCE[@SINCE],CHANNEL=@SINCE" -> {channel id: Scope}; ValueError names a bad entry."""
    from sitrep.retrieval.dates import parse_since

    out: dict[int, Scope] = {}
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        channel, sep, rest = entry.partition("=")
        source, _, since = rest.partition("@")
        if not sep or not channel.strip().isdigit() or not (source.strip() or since.strip()):
            raise ValueError(f"{entry!r} is not CHANNEL_ID=SOURCE[@SINCE]")
        if since.strip():
            parse_since(since.strip(), datetime.now(UTC).date())  # a bad span fails at start-up, not per question
        out[int(channel)] = Scope(source.strip() or None, since.strip() or None)
    return out
