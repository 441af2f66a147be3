import pytest

from components.durations import DurationError, parse_duration, same_duration
from tests.fake_forgejo import go_duration, go_duration_string

PARSED = [
    ("0", 0),
    ("5m", 300_000_000_000),
    ("5m0s", 300_000_000_000),
    ("1h30m", 5_400_000_000_000),
    ("1.5h", 5_400_000_000_000),
    (".5h", 1_800_000_000_000),
    ("3h", 10_800_000_000_000),
    ("300ms", 300_000_000),
    ("1h0m0.5s", 3_600_500_000_000),
    ("1.h", 3_600_000_000_000),
    ("1.0000000005s", 1_000_000_000),  # finer than a nanosecond is dropped
    ("1.5µs", 1_500),
    ("2us", 2_000),
    ("2562047h47m16.854775807s", 2**63 - 1),  # Go's longest Duration
    ("9223372036854775807ns", 2**63 - 1),
    ("0.3h", 1_080_000_000_000),
]
TOO_LONG = ["2562047h47m16.854775808s", "9223372036854775808ns", "2562048h", "1" * 30 + "s"]


@pytest.mark.parametrize(("text", "nanoseconds"), PARSED)
def test_parses_go_durations(text: str, nanoseconds: int) -> None:
    assert parse_duration(text) == nanoseconds


@pytest.mark.parametrize(
    "text", ["", "5", "5x", "-5m", "+5m", "m", "5 m", "1d", "5m-1s", ".s", "\u0665m", "5m\u0665s", "5m\n"]
)
def test_refuses_what_go_refuses_or_negative(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize("text", TOO_LONG)
def test_refuses_what_is_longer_than_gos_longest_duration(text: str) -> None:
    with pytest.raises(DurationError, match="longer than Go's longest duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("5m", "5m0s"),
        ("8h", "8h0m0s"),
        ("0", "0s"),
        ("90s", "1m30s"),
        ("1.5s", "1.5s"),
        ("300ms", "300ms"),
        ("1h0m0.25s", "1h0m0.25s"),
        ("1.5ms", "1.5ms"),
        ("1500ns", "1.5µs"),
        ("7ns", "7ns"),
        ("1m0.000000001s", "1m0.000000001s"),
    ],
)
def test_formats_like_go_duration_string(text: str, canonical: str) -> None:
    assert go_duration_string(parse_duration(text)) == canonical


def test_forgejo_long_form_equals_short_form() -> None:
    assert same_duration("5m", "5m0s")
    assert not same_duration("5m", "10m0s")


@pytest.mark.parametrize(("text", "nanoseconds"), PARSED)
def test_the_fake_forgejo_reads_and_writes_durations_as_go_does(text: str, nanoseconds: int) -> None:
    """The fake's own reading (tests/fake_forgejo.py) meets the same table, so the two can't share a bug."""
    assert go_duration(text) == nanoseconds
    assert go_duration(go_duration_string(nanoseconds)) == nanoseconds


@pytest.mark.parametrize("text", ["", "5", "5x", "m", "5 m", "1d", "5m-1s", ".s", "\u0665m", "5m\n", *TOO_LONG])
def test_the_fake_forgejo_refuses_what_go_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="time: invalid duration"):
        go_duration(text)
