"""The generated-secret provider: values of the promised form, made once, replaced only on a new kind or length."""

from __future__ import annotations

import string

import pytest

from components.generated_secret import HEX, PASSWORD, GeneratedSecretProvider, generate


def test_password_is_letters_and_digits_of_the_given_length() -> None:
    password = generate(PASSWORD, 32)

    assert len(password) == 32
    assert set(password) <= set(string.ascii_letters + string.digits)


def test_hex_is_twice_the_byte_length_in_lower_case_hex() -> None:
    value = generate(HEX, 20)

    assert len(value) == 40
    assert set(value) <= set("0123456789abcdef")


def test_two_values_differ() -> None:
    assert generate(HEX, 20) != generate(HEX, 20)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind of generated secret 'pin'"):
        generate("pin", 4)


def test_create_returns_the_value_and_an_id_that_is_not_it() -> None:
    # Lengths cross the wire as floats.
    result = GeneratedSecretProvider().create({"kind": HEX, "length": 20.0})
    assert result.outs is not None

    assert result.outs["kind"] == HEX
    assert result.outs["length"] == 20
    assert len(result.outs["value"]) == 40
    assert len(result.id) == 16
    assert result.id not in result.outs["value"]


def test_same_kind_and_length_keep_the_value() -> None:
    olds = {"kind": PASSWORD, "length": 32, "value": "kept"}

    diff = GeneratedSecretProvider().diff("id", olds, {"kind": PASSWORD, "length": 32.0, "value": None})

    assert diff.changes is False
    assert diff.replaces == []


def test_new_length_replaces_the_value() -> None:
    olds = {"kind": PASSWORD, "length": 32, "value": "kept"}

    diff = GeneratedSecretProvider().diff("id", olds, {"kind": PASSWORD, "length": 40, "value": None})

    assert diff.changes is True
    assert diff.replaces == ["length"]
