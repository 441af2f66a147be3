"""Kubernetes quantities as the config loader compares them: exact thousandths, as Kubernetes keeps them."""

import pytest

from components.rules import QUANTITY_MAX_MILLI, parse_quantity, positive_quantity


@pytest.mark.parametrize(
    ("text", "milli"),
    [
        ("1", 1_000),
        ("100m", 100),
        ("1.5", 1_500),
        (".5", 500),
        ("0.1m", 1),  # finer than a thousandth rounds up, as Kubernetes rounds it
        ("1n", 1),
        ("2500u", 3),
        ("256Mi", 256 * 2**20 * 1_000),
        ("1.5Gi", 3 * 2**29 * 1_000),
        ("10G", 10 * 10**9 * 1_000),
        ("1k", 1_000_000),
        ("1e3", 1_000_000),
        ("2E2", 200_000),
        ("0", 0),
        ("0e99", 0),
        ("9E", 9 * 10**18 * 1_000),  # E is exa here, not an exponent
        ("1Ei", 2**60 * 1_000),
        ("10E", QUANTITY_MAX_MILLI),  # above 2^63-1: capped
        ("1e400", QUANTITY_MAX_MILLI),
    ],
)
def test_parses_kubernetes_quantities_to_exact_thousandths(text: str, milli: int) -> None:
    assert parse_quantity(text) == milli


@pytest.mark.parametrize("text", ["", "1 Gi", "lots", "1GB", "-1", "1.", "1e-3", "1.5.5", "1" * 5000])
def test_refuses_what_is_not_a_quantity(text: str) -> None:
    assert parse_quantity(text) is None


def test_compares_across_suffixes() -> None:
    assert parse_quantity("1Gi") > parse_quantity("1G") > parse_quantity("512Mi")  # type: ignore[operator]
    assert parse_quantity("500m") == parse_quantity("0.5")


def test_zero_is_not_a_positive_quantity() -> None:
    assert positive_quantity("0") == "'0' must be greater than zero"
    assert positive_quantity("0.1m") is None
