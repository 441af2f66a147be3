"""Typed reading of raw config strings, recording every problem with its key.

The loader in components/config.py reads each key through a ConfigReader and
reports all problems at once; nothing here raises on a bad value.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from components import rules
from components.settings import PodSecurity, Resources

PROJECT = "goldentooth-forgejo"
_RESOURCE_NAMES = ("cpu", "memory")


class Problem(NamedTuple):
    key: str
    reason: str

    def __str__(self) -> str:
        return f"{PROJECT}:{self.key}: {self.reason}"


class ConfigError(Exception):
    """Every problem found in the stack config, each naming its key."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.key)
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"{len(problems)} configuration problem(s); nothing was applied. "
            f"Fix them with `pulumi config set <key> <value>` (add --secret for secrets):\n{lines}"
        )


class ConfigReader:
    """Typed access to raw config strings that records problems instead of raising.

    Every getter returns a usable placeholder after a problem so that the
    loader carries on and reports every problem in one run.
    """

    def __init__(self, raw: Mapping[str, str], secret_keys: frozenset[str]) -> None:
        self._raw = raw
        self._secret_keys = secret_keys
        self.problems: list[Problem] = []
        self.keys_read: set[str] = set()

    def problem(self, key: str, reason: str | None) -> bool:
        if reason is not None:
            self.problems.append(Problem(key, reason))
        return reason is None

    def refused(self, *keys: str) -> bool:
        """Whether any of ``keys`` already has a problem: checks derived from them then have nothing sound to check."""
        return any(problem.key in keys for problem in self.problems)

    def _value(self, key: str) -> str | None:
        self.keys_read.add(key)
        value = self._raw.get(key)
        if value is None:
            self.problem(key, "is not set (every key is declared in Pulumi.yaml; keys without a default are required)")
        return value

    def string(self, key: str, *checks: Callable[[str], str | None], allow_empty: bool = False) -> str:
        value = self._value(key)
        if value is None:
            return ""
        if value == "":
            if not allow_empty:
                self.problem(key, "must not be empty")
            return value
        for check in checks:
            if not self.problem(key, check(value)):
                break
        return value

    def choice(self, key: str, choices: tuple[str, ...], why: str = "") -> str:
        value = self._value(key)
        if value is not None and value not in choices:
            self.problem(key, f"{value!r} is not one of {', '.join(choices)}{why}")
        return value or choices[0]

    def integer(self, key: str, *checks: Callable[[int], str | None]) -> int:
        value = self._value(key)
        if value is None:
            return 0
        try:
            number = int(value)
        except ValueError:
            self.problem(key, f"{value!r} is not a whole number")
            return 0
        for check in checks:
            self.problem(key, check(number))
        return number

    def boolean(self, key: str) -> bool:
        value = self._value(key)
        if value is None:
            return False
        if value not in ("true", "false"):
            self.problem(key, f"{value!r} is not true or false")
        return value == "true"

    def structured(self, key: str, expected: type) -> Any:
        value = self._value(key)
        if value is None:
            return expected()
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            self.problem(key, f"is not valid {'an object' if expected is dict else 'a list'} (JSON/YAML structure)")
            return expected()
        if not isinstance(parsed, expected):
            kind = "an object (a YAML mapping)" if expected is dict else "a list (a YAML sequence)"
            self.problem(key, f"must be {kind}, got {type(parsed).__name__}")
            return expected()
        return parsed

    def secret_plaintext(self, key: str) -> str | None:
        """The plaintext of an optional secret key, for validation only; never put it in a message."""
        self.keys_read.add(key)
        value = self._raw.get(key)
        if value is not None and key not in self._secret_keys:
            self.problem(
                key,
                f"is stored in plain text in the stack file; set it with `pulumi config set --secret {key}`",
            )
        return value


def string_map(reader: ConfigReader, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        reader.problem(key, "must map names to strings")
        return {}
    return dict(value)


def load_resources(reader: ConfigReader, key: str) -> Resources:
    raw = reader.structured(key, dict)
    unknown = sorted(set(raw) - {"requests", "limits"})
    if unknown:
        reader.problem(key, f"unknown field(s) {', '.join(unknown)}; use requests and limits")
    sections: dict[str, dict[str, str]] = {}
    for section in ("requests", "limits"):
        values = string_map(reader, f"{key}.{section}", raw.get(section, {}))
        for name, amount in values.items():
            if name not in _RESOURCE_NAMES:
                reader.problem(f"{key}.{section}.{name}", f"unknown resource; use {' or '.join(_RESOURCE_NAMES)}")
            else:
                reader.problem(f"{key}.{section}.{name}", rules.positive_quantity(amount))
        sections[section] = values
    for name in _RESOURCE_NAMES:
        request = rules.parse_quantity(sections["requests"].get(name, ""))
        limit = rules.parse_quantity(sections["limits"].get(name, ""))
        if request is not None and limit is not None and request > limit:
            reader.problem(
                f"{key}.requests.{name}",
                f"{sections['requests'][name]} is more than the limit {sections['limits'][name]}; "
                "Kubernetes refuses a request above its limit",
            )
    return Resources(requests=sections["requests"], limits=sections["limits"])


def load_node_selector(reader: ConfigReader, key: str) -> dict[str, str]:
    selector = string_map(reader, key, reader.structured(key, dict))
    for label, value in selector.items():
        reader.problem(f"{key}.{label}", rules.label_key(label))
        reader.problem(f"{key}.{label}", rules.label_value(value))
    return selector


def load_pod_security(reader: ConfigReader, key: str) -> PodSecurity:
    raw = string_map(reader, key, reader.structured(key, dict))
    unknown = sorted(set(raw) - {"enforce", "warn", "audit"})
    if unknown:
        reader.problem(key, f"unknown mode(s) {', '.join(unknown)}; use enforce, warn and audit")
    if "enforce" not in raw:
        reader.problem(key, "needs an enforce level")
    for mode, level in raw.items():
        reader.problem(f"{key}.{mode}", rules.pod_security_level(level))
    return PodSecurity(enforce=raw.get("enforce", "baseline"), warn=raw.get("warn"), audit=raw.get("audit"))
