"""Go duration strings, parsed exactly as Go's ``time.ParseDuration`` parses them.

Forgejo and the runner are Go: they read every interval and timeout with ``time.ParseDuration`` and report it in
Go's canonical form ("5m" comes back as "5m0s"), so comparisons work on nanoseconds. This is a port of Go 1.25's
``ParseDuration`` (src/time/format.go: ASCII digits only, unsigned 64-bit accumulation, a fraction scaled through
float64) because PyPI's ``goduration`` 0.1.0 is not exact: it takes any Unicode digit ("\u0665m" as five minutes).
"""

from __future__ import annotations

import re

_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
MAX_NANOSECONDS = 2**63 - 1  # Go's maximum Duration: 2562047h47m16.854775807s
# One element: digits before or after the point, and a unit (Go's unit is the run up to the next digit or '.').
_ELEMENT = r"(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(ns|us|µs|μs|ms|s|m|h)"


class DurationError(ValueError):
    """A string that Go's time.ParseDuration refuses, or a negative duration (never meant here)."""


def parse_duration(text: str) -> int:
    """The duration in nanoseconds. "0" is the only value without a unit; a sign is refused (nothing here is
    negative, and "+5m" is a typo more often than not)."""
    if text == "0":
        return 0
    if not isinstance(text, str) or not re.fullmatch(f"(?:{_ELEMENT})+", text):
        raise DurationError(
            f"{text!r} is not a Go duration: use non-negative numbers with units ns, us, ms, s, m or h, such as "
            "'5m', '1h30m' or '0'"
        )
    total = 0
    for whole, fraction, bare, unit in re.findall(_ELEMENT, text):
        digits, scale = 0, 1.0
        for digit in fraction or bare:  # Go stops adding precision before the fraction overflows
            if digits > (2**63 - 1) // 10 or digits * 10 + int(digit) > 2**63:
                break
            digits, scale = digits * 10 + int(digit), scale * 10
        total += int(whole or 0) * _UNITS[unit] + (int(digits * (_UNITS[unit] / scale)) if digits else 0)
        if total > MAX_NANOSECONDS:  # Go refuses this element's overflow, or the sum's: the same strings
            raise DurationError(f"{text!r} is longer than Go's longest duration, 2562047h47m16.854775807s")
    return total


def same_duration(left: str, right: str) -> bool:
    return parse_duration(left) == parse_duration(right)
