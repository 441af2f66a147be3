"""Go duration strings, as Forgejo and the Forgejo runner parse them.

Forgejo reads ``[mirror] MIN_INTERVAL`` and every ``mirror_interval`` with Go's
``time.ParseDuration`` and reports them back in Go's canonical form ("5m"
comes back as "5m0s"). Comparing the strings would flag drift that is not
there, so everything here works on whole nanoseconds, in integers as Go does.
"""

from __future__ import annotations

import re

_UNIT_NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign, accepted by Go
    "μs": 1_000,  # U+03BC Greek mu, accepted by Go
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}

# One "<number><unit>" element; Go allows "1.5h", ".5h" and "1.h", with ASCII digits only.
_ELEMENT = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)", re.ASCII)


class DurationError(ValueError):
    """A string that Go's time.ParseDuration would refuse (or a negative one)."""


def parse_duration(text: str) -> int:
    """Return the duration in nanoseconds.

    Negative durations are refused: no interval or timeout in this program
    can meaningfully be negative. "0" is the only value allowed without a unit,
    as in Go.
    """
    if not isinstance(text, str):
        raise DurationError(f"expected a Go duration string such as '5m', got {text!r}")
    if text == "0":
        return 0
    if text == "" or text[0] in "+-":
        raise DurationError(
            f"{text!r} is not a Go duration: use a non-negative value with units, such as '5m', '1h30m' or '0'"
        )
    total = 0
    position = 0
    while position < len(text):
        match = _ELEMENT.match(text, position)
        if match is None:
            raise DurationError(
                f"{text!r} is not a Go duration: use numbers with units ns, us, ms, s, m or h, such as '5m' or '1h30m'"
            )
        whole, _, fraction = match.group(1).partition(".")
        unit = _UNIT_NANOSECONDS[match.group(2)]
        # Go drops what is finer than a nanosecond, element by element.
        total += int(whole or "0") * unit + int(fraction or "0") * unit // 10 ** len(fraction)
        position = match.end()
    return total


def format_duration(nanoseconds: int) -> str:
    """Go's canonical ``Duration.String()`` for whole seconds and above: 300s -> '5m0s'.

    Sub-second parts are kept in seconds with a fraction, as Go does.
    """
    if nanoseconds == 0:
        return "0s"
    hours, rest = divmod(nanoseconds, _UNIT_NANOSECONDS["h"])
    minutes, rest = divmod(rest, _UNIT_NANOSECONDS["m"])
    seconds_text = _in_units(rest, _UNIT_NANOSECONDS["s"])
    if hours:
        return f"{hours}h{minutes}m{seconds_text}s"
    if minutes:
        return f"{minutes}m{seconds_text}s"
    if nanoseconds < _UNIT_NANOSECONDS["s"]:
        for unit in ("ms", "us", "ns"):
            size = _UNIT_NANOSECONDS[unit]
            if nanoseconds >= size:
                return f"{_in_units(nanoseconds, size)}{'µs' if unit == 'us' else unit}"
    return f"{seconds_text}s"


def _in_units(nanoseconds: int, size: int) -> str:
    """``nanoseconds / size`` written out exactly, without trailing zeros: 1_500_000_000 / 10**9 -> '1.5'."""
    whole, rest = divmod(nanoseconds, size)
    if not rest:
        return str(whole)
    places = len(str(size)) - 1  # every unit size is a power of ten
    return f"{whole}.{rest:0{places}d}".rstrip("0")


def same_duration(left: str, right: str) -> bool:
    """True when both strings parse to the same length of time ("5m" == "5m0s")."""
    return parse_duration(left) == parse_duration(right)
