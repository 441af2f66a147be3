"""Flux image automation under mocks: the exact ImageRepository and ImagePolicy, and the build the policy picks."""

from __future__ import annotations

import re
from typing import Any

from tests.program import ProgramRun, run_program

REPOSITORY = "kubernetes:image.toolkit.fluxcd.io/v1:ImageRepository"
POLICY = "kubernetes:image.toolkit.fluxcd.io/v1:ImagePolicy"
METADATA = {
    "name": "goldentooth-mcp",
    "namespace": "flux-system",
    "labels": {
        "app.kubernetes.io/part-of": "goldentooth-forgejo",
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/component": "image-automation",
    },
}


def test_image_repository_scans_the_pushed_image_trusting_the_registry_ca(goldentooth: ProgramRun) -> None:
    repository = goldentooth.one(REPOSITORY, "image-automation-repository")

    assert repository.inputs == {
        "apiVersion": "image.toolkit.fluxcd.io/v1",
        "kind": "ImageRepository",
        "metadata": METADATA,
        "spec": {
            "image": "registry.goldentooth.net/goldentooth-mcp",
            "interval": "5m",
            "certSecretRef": {"name": "registry-ca"},
        },
    }
    assert repository.parent_type_and_name == ("goldentooth:index:ImageAutomation", "image-automation")


def test_image_policy_orders_the_sortable_tags_by_their_time(goldentooth: ProgramRun) -> None:
    policy = goldentooth.one(POLICY, "image-automation-policy")

    assert policy.inputs == {
        "apiVersion": "image.toolkit.fluxcd.io/v1",
        "kind": "ImagePolicy",
        "metadata": METADATA,
        "spec": {
            "imageRepositoryRef": {"name": "goldentooth-mcp"},
            "filterTags": {"pattern": r"^(?P<ts>[0-9]{8}T[0-9]{6}Z)-[0-9a-f]{7,40}$", "extract": "$ts"},
            "policy": {"alphabetical": {"order": "asc"}},
        },
    }
    assert policy.parent_type_and_name == ("goldentooth:index:ImageAutomation", "image-automation")
    assert goldentooth.exports["image_policy"] == "flux-system:goldentooth-mcp"


def flux_latest(spec: dict[str, Any], tags: list[str]) -> str:
    """The tag image-reflector-controller elects: matching tags, compared by the extracted value, highest for asc."""
    filter_tags = spec["filterTags"]
    assert spec["policy"] == {"alphabetical": {"order": "asc"}}
    pattern = re.compile(filter_tags["pattern"])
    replacement = re.sub(r"\$(\w+)", r"\\g<\1>", filter_tags["extract"])  # Go's $name is Python's \g<name>
    matching = {tag: match.expand(replacement) for tag in tags if (match := pattern.search(tag))}
    return max(matching, key=matching.__getitem__)


def test_the_newest_commit_wins_over_older_ones_latest_and_bare_shas(goldentooth: ProgramRun) -> None:
    spec = goldentooth.one(POLICY).inputs["spec"]
    pushed = [
        "latest",
        "ffffffffffffffffffffffffffffffffffffffff",  # the bare :<sha> tags sort above any time
        "20261201T231500Z-fffffff",
        "20270101T000000Z-0000000",  # newest: the time decides, not the sha
        "20261231T235959Z-abc1234",
        "99999999-abc1234",  # not a time-sha tag
    ]

    assert flux_latest(spec, pushed) == "20270101T000000Z-0000000"


def test_image_automation_is_off_unless_configured() -> None:
    run = run_program({"imageAutomation": "{}"})

    assert (run.of_type(REPOSITORY), run.of_type(POLICY)) == ([], [])
    assert "goldentooth:index:ImageAutomation" not in {r.typ for r in run.resources}
    assert run.exports["image_policy"] is None


def test_objects_are_named_after_the_images_last_segment_in_the_namespace_chosen() -> None:
    run = run_program(
        {
            "imageName": "apps/my_app",
            "imageAutomation": '{"namespace": "flux", "certSecretName": "ca", "interval": "1h"}',
        }
    )

    repository, policy = run.one(REPOSITORY), run.one(POLICY)
    assert {k: repository.inputs["metadata"][k] for k in ("name", "namespace")} == {
        "name": "my-app",
        "namespace": "flux",
    }
    assert repository.inputs["spec"] == {
        "image": "registry.goldentooth.net/apps/my_app",
        "interval": "1h",
        "certSecretRef": {"name": "ca"},
    }
    assert policy.inputs["metadata"] == repository.inputs["metadata"]
    assert policy.inputs["spec"]["imageRepositoryRef"] == {"name": "my-app"}
    assert run.exports["image_policy"] == "flux:my-app"
