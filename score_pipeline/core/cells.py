"""A raw cell as every parser of the pipeline reads it: its text (`as_text`), what parsing it gives
(`Parsed`: the value, or None with the reason it was rejected) and the cache pure parsers share (`memoised`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Parsed(NamedTuple, Generic[T]):
    value: T | None
    problem: str | None = None


def memoised(function: Callable[..., T]) -> Callable[..., T]:
    """Cache a pure normaliser: a wave's extracts repeat a few dozen spellings millions of times.

    `typed=True` keeps `True`, `1` and `1.0` apart; an unhashable value (a list from YAML) is
    parsed without the cache.
    """
    cached = lru_cache(maxsize=1 << 16, typed=True)(function)

    @wraps(function)
    def parse(*args: object) -> T:
        try:
            return cached(*args)
        except TypeError:
            return function(*args)

    return parse


def as_text(raw: object) -> str:
    """A reader's cell as text, trimmed; None and NaN become ''."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    return str(raw).strip()
