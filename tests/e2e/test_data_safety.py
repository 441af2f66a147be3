"""Scenario 7 and issue 12 through the real engine: renames keep resources, destroy deletes only when asked.

Runs in file order on one stack, which trusts Forgejo through forgejoCaBundle: a component rename (with its
alias, as the README says to do it), then `pulumi destroy` with protectData on, then with it off.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from tests.e2e.cluster import ApiError, Cluster
from tests.e2e.conftest import ClusterForgejo, new_project
from tests.e2e.pulumi_cli import STACK, PulumiProject
from tests.e2e.readme import deploy_steps
from tests.e2e.test_first_deploy import stand_in_settings

KEPT = {"cloneAddr": "https://github.com/goldentooth/gitops.git", "owner": "forgejo_admin", "name": "gitops",
        "interval": "5m", "retain": "true"}  # fmt: skip


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    tools_bin: Path,
    pulumi_home: Path,
    cluster: Cluster,
    forgejo: ClusterForgejo,
    forgejo_ca: trustme.CA,
) -> PulumiProject:
    workdir = tmp_path_factory.mktemp("data-safety")
    project = new_project(workdir, tools_bin, pulumi_home, cluster)
    (workdir / "state").mkdir()
    *setup, _ = deploy_steps(f"file://{workdir / 'state'}")
    for step in setup:
        project.sh(step)
    stand_in_settings(project, forgejo)
    # The other way to trust Forgejo's CA: the PEM in config (first deploy reads it from the cluster).
    project.pulumi("config", "rm", "--stack", STACK, "forgejoCaFrom")
    project.config_set("forgejoCaBundle", forgejo_ca.cert_pem.bytes().decode())
    for field, value in KEPT.items():
        project.pulumi("config", "set", "--stack", STACK, "--path", f"mirrors[1].{field}", value)
    project.pulumi("up", "--stack", STACK, "--yes")
    return project


def namespaces(cluster: Cluster) -> set[str]:
    return {item["metadata"]["name"] for item in cluster.get("/api/v1/namespaces")["items"]}


def live_namespaces(cluster: Cluster) -> set[str]:
    """Namespaces not on their way out: a deleted one stays Terminating while its pods use their grace period."""
    items = cluster.get("/api/v1/namespaces")["items"]
    return {item["metadata"]["name"] for item in items if not item["metadata"].get("deletionTimestamp")}


def test_renaming_the_mirrors_component_with_its_alias_keeps_every_repository(
    stack: PulumiProject, forgejo: ClusterForgejo
) -> None:
    main = stack.directory / "__main__.py"
    source = main.read_text()
    assert 'mirrors = Mirrors(\n    "mirrors",' in source
    main.write_text(
        source.replace('mirrors = Mirrors(\n    "mirrors",', 'mirrors = Mirrors(\n    "forgejo-mirrors",').replace(
            "opts=pulumi.ResourceOptions(depends_on=[forgejo.release, route]),",
            'opts=pulumi.ResourceOptions(depends_on=[forgejo.release, route], aliases=[pulumi.Alias(name="mirrors")]),',
        )
    )

    changes = stack.preview_changes()
    forgejo.clear_log()
    stack.pulumi("up", "--stack", STACK, "--yes")

    assert changes == set()
    assert [(r.method, r.path) for r in forgejo.writes() if r.method == "DELETE"] == []
    assert {repo["full_name"] for repo in forgejo.repos.values()} == {"forgejo_admin/mcp", "forgejo_admin/gitops"}


def test_destroy_with_protect_data_on_stops_at_its_preview_and_changes_nothing(
    stack: PulumiProject, cluster: Cluster, forgejo: ClusterForgejo
) -> None:
    before = stack.stack_export()
    forgejo.clear_log()

    refused = stack.pulumi("destroy", "--stack", STACK, "--yes", check=False)

    assert refused.returncode != 0
    assert "cannot be deleted\nbecause it is protected" in refused.output or "because it is protected" in refused.output
    assert stack.stack_export()["deployment"]["resources"] == before["deployment"]["resources"]
    assert {"forgejo", "forgejo-runner"} <= namespaces(cluster)
    assert forgejo.writes() == []


def test_destroy_excluding_protected_keeps_forgejo_its_data_and_the_mirrors(
    stack: PulumiProject, cluster: Cluster, forgejo: ClusterForgejo
) -> None:
    stack.pulumi("destroy", "--stack", STACK, "--yes", "--exclude-protected")

    assert "forgejo-runner" not in live_namespaces(cluster)
    left = {resource["type"] for resource in stack.stack_export()["deployment"]["resources"]}
    assert "forgejo" in namespaces(cluster)
    assert cluster.get("/api/v1/namespaces/forgejo/persistentvolumeclaims/gitea-shared-storage")
    assert cluster.get("/apis/apps/v1/namespaces/forgejo/deployments/forgejo")
    assert "kubernetes:helm.sh/v3:Release" in left
    assert "kubernetes:apps/v1:Deployment" not in left
    assert {repo["full_name"] for repo in forgejo.repos.values()} == {"forgejo_admin/mcp", "forgejo_admin/gitops"}


def test_with_deletion_on_a_rename_without_alias_still_keeps_the_repository(
    stack: PulumiProject, forgejo: ClusterForgejo
) -> None:
    stack.config_set("protectData", "false")
    stack.pulumi("up", "--stack", STACK, "--yes")
    main = stack.directory / "__main__.py"
    main.write_text(main.read_text().replace('"forgejo-mirrors",', '"pull-mirrors",'))

    changes = stack.preview_changes()
    forgejo.clear_log()
    stack.pulumi("up", "--stack", STACK, "--yes")

    # The engine creates the new resources first (they adopt the repositories) and deletes the old ones after.
    assert ("create", "pull-mirrors/forgejo_admin/mcp") in changes
    assert ("delete", "forgejo-mirrors/forgejo_admin/mcp") in changes
    assert [r.path for r in forgejo.writes() if r.method == "DELETE"] == []
    assert {repo["full_name"] for repo in forgejo.repos.values()} == {"forgejo_admin/mcp", "forgejo_admin/gitops"}


def test_destroy_after_protect_data_off_deletes_everything_but_what_is_retained(
    stack: PulumiProject, cluster: Cluster, forgejo: ClusterForgejo
) -> None:
    stack.pulumi("destroy", "--stack", STACK, "--yes")

    assert not {"forgejo", "forgejo-runner"} & live_namespaces(cluster)
    with pytest.raises(ApiError):
        cluster.get("/api/v1/namespaces/forgejo/persistentvolumeclaims/gitea-shared-storage")
    assert {repo["full_name"] for repo in forgejo.repos.values()} == {"forgejo_admin/gitops"}
