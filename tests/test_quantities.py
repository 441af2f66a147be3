"""Kubernetes quantities as the config loader compares them: exact billionths, as Kubernetes parses them."""

import pytest

from components.values import parse_quantity

BINARY_QUANTITY_MAX_NANOS = (2**63 - 1) * 10**9  # Kubernetes caps a binary-suffixed quantity at 2^63-1 units


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("1", 10**9),
        ("100m", 100_000_000),
        ("1.5", 1_500_000_000),
        (".5", 500_000_000),
        ("0.1m", 100_000),
        ("1n", 1),
        ("0.1n", 1),  # finer than a billionth rounds up, as Kubernetes rounds it
        ("2500u", 2_500_000),
        ("256Mi", 256 * 2**20 * 10**9),
        ("1.5Gi", 3 * 2**29 * 10**9),
        ("0.0000000001Ki", 103),  # 102.4 billionths, rounded up
        ("10G", 10 * 10**9 * 10**9),
        ("1k", 10**12),
        ("1e3", 10**12),
        ("2E2", 200 * 10**9),
        ("0", 0),
        ("0e9", 0),
        ("9E", 9 * 10**18 * 10**9),  # E is exa here, not an exponent
        ("20E", 20 * 10**18 * 10**9),  # a decimal suffix is not capped
        ("1Ei", 2**60 * 10**9),
        ("8Ei", BINARY_QUANTITY_MAX_NANOS),  # 2^63: a binary suffix stops at 2^63-1
        ("1e40", 10**49),
    ],
)
def test_parses_kubernetes_quantities_to_exact_billionths(text: str, nanos: int) -> None:
    assert parse_quantity(text) == nanos


@pytest.mark.parametrize(
    "text",
    ["", "1 Gi", "lots", "1GB", "-1", "1.", "1e-3", "1.5.5", "1e41", "1e" + "1" * 5000, "1" * 41, "1" * 5000],
)
def test_refuses_what_is_not_a_quantity_or_is_absurdly_large(text: str) -> None:
    assert parse_quantity(text) is None


def test_compares_exactly_across_suffixes() -> None:
    assert parse_quantity("1Gi") > parse_quantity("1G") > parse_quantity("512Mi")  # type: ignore[operator]
    assert parse_quantity("500m") == parse_quantity("0.5")
    assert parse_quantity("1.0005") > parse_quantity("1.0001")  # type: ignore[operator]
    assert parse_quantity("100.5m") > parse_quantity("100.1m")  # type: ignore[operator]
