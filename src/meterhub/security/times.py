"""The one check on the times that :mod:`meterhub.security`'s cores are given: timezone-aware, never naive.

The platform keeps time as timezone-aware UTC inside (DESIGN §7); a naive datetime handed to a session, a TOTP
check or a throttle would be compared with aware ones and fail obscurely, or silently mean local time. Every
public function that takes a time calls :func:`require_aware` first and refuses a naive one with a clear
ValueError.
"""

from __future__ import annotations

from datetime import datetime


def require_aware(name: str, value: datetime) -> None:
    """Raise ValueError unless ``value`` is timezone-aware."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (UTC), got a naive one")


__all__ = ["require_aware"]
