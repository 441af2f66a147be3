"""Every Helm value the program sets exists in the chart's values.yaml.

Helm ignores unknown values silently (the author's `existingClaim` did
nothing), so a typo would otherwise only show up as a missing feature.
``gitea.config`` is excluded: its sections become app.ini sections verbatim.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import parse_settings
from components.forgejo import forgejo_values
from components.runner_registration import registration_values
from tests import reference
from tests.stack import goldentooth_config

CHART_VALUES = reference.load_yaml("forgejo-helm-values.yaml")
# Passed through as they are: ini sections, and Kubernetes securityContext objects (the e2e tier's API server
# checks those, and its PodSecurity admission holds them to `restricted`).
FREE_FORM = ("gitea.config", "podSecurityContext", "containerSecurityContext")
# Read by the chart's templates (_helpers.tpl `forgejo.fullname`) but not listed in values.yaml.
TEMPLATE_ONLY = ("fullnameOverride",)


def unknown_paths(values: dict[str, Any], defaults: Any, prefix: str = "") -> list[str]:
    unknown = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if path in FREE_FORM or path in TEMPLATE_ONLY:
            continue
        if not isinstance(defaults, dict):
            unknown.append(path)
            continue
        if key not in defaults:
            # An empty map in the defaults (nodeSelector: {}, resources: {}) takes any keys.
            if defaults != {}:
                unknown.append(path)
            continue
        if isinstance(value, dict) and isinstance(defaults[key], dict):
            unknown.extend(unknown_paths(value, defaults[key], f"{path}."))
    return unknown


CONFIGS = {
    "goldentooth": {},
    "existing-claim": {"storageClass": "", "existingClaim": "forgejo-data"},
    "fullname-override": {"fullnameOverride": "forgejo-forgejo"},
    "adoption": {
        "adoption": '{"enabled": true, "releaseName": "forgejo-forgejo"}',
        "namespaceLayout": "shared",
        "serverPodSecurity": '{"enforce": "privileged"}',
    },
}
REGISTRATION = registration_values(
    [("bramble-runner", "", "token"), ("amd64-runner", "forgejo_admin", "token-x")],
    "forgejo-runner-registration",
    "forgejo:13.0.3",
)


@pytest.mark.parametrize("overrides", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_value_path_exists_in_the_chart(overrides: dict[str, str]) -> None:
    settings = parse_settings({**goldentooth_config(), **overrides})

    values = forgejo_values(settings, "forgejo-admin", REGISTRATION)

    assert "extraContainers" in values
    assert unknown_paths(values, CHART_VALUES) == []


def test_a_misspelt_path_is_caught() -> None:
    assert unknown_paths({"persistence": {"existingClaim": "x"}, "nodeSelector": {"a": "b"}}, CHART_VALUES) == [
        "persistence.existingClaim"
    ]
