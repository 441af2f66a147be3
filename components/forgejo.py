"""The Forgejo server: credentials, the runner's shared secret and the Helm release from Forgejo's OCI chart.

The chart's values are built by ``forgejo_values``, plain data, so that they can be tested as such and every path
set outside ``gitea.config`` can be checked against the chart's own values.yaml (a typo there is silently ignored
by Helm).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import naming
from components.cluster import RUNNER_SECRET_KEY, RUNNER_SECRET_NAME, claim_spec, existing_value, opaque_secret
from components.config import Adoption, Settings
from components.generated_secret import HEX, PASSWORD, GeneratedSecret
from components.runner_registration import RESTRICTED_CONTAINER, registration_values


def forgejo_values(settings: Settings, admin_secret_name: str, registration: dict[str, Any]) -> dict[str, Any]:
    """``registration``: the runner-registration sidecar's values (components/runner_registration.py)."""
    values: dict[str, Any] = {
        # The exact image, not the chart's appVersion: the registration sidecar
        # must run the same Forgejo as the server it registers with.
        "image": {"rootless": True, "fullOverride": settings.image},
        # SQLite on a ReadWriteOnce volume must never see two pods: a rolling
        # update would start the new pod before the old one lets go.
        "strategy": {"type": "Recreate"},
        "service": {"http": {"port": settings.service_port}},
        # `restricted` for the chart's containers too, and no chown of the whole data volume on every start.
        "podSecurityContext": {
            "fsGroup": 1000,
            "fsGroupChangePolicy": "OnRootMismatch",
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": RESTRICTED_CONTAINER,
        # `existingClaim` is not a chart key (the author tried it); the chart mounts a claim it did not create through
        # create: false + claimName. Otherwise claimName stays the chart's default, so an install taken over from
        # Flux keeps finding its data volume.
        "persistence": {"enabled": True, "create": False, "claimName": settings.existing_claim}
        if settings.existing_claim
        else {"enabled": True, "create": True, "size": settings.storage_size}
        | ({"storageClass": settings.storage_class} if settings.storage_class else {}),
        "nodeSelector": dict(settings.node_selector),
        "resources": settings.resources.as_dict(),
        "gitea": {
            "admin": {
                # The Secret holds username and password only; the chart reads the e-mail address from values.
                "existingSecret": admin_secret_name,
                "email": settings.admin_email,
                "passwordMode": "keepUpdated",
            },
            "config": {
                "actions": {"ENABLED": True},
                "mirror": {"ENABLED": True, "MIN_INTERVAL": settings.mirror_min_interval},
                # Forgejo syncs a due mirror only when this cron fires (every 10m by default). Each run is one cheap
                # query for mirrors whose next sync time has passed, so every minute bounds the lag from an upstream
                # push to its sync at the mirror's interval plus one minute.
                "cron.update_mirrors": {"SCHEDULE": "@every 1m", "NO_SUCCESS_NOTICE": True},
                # The rootless image starts an SSH server and advertises ssh:// clone URLs unless told otherwise; the
                # HTTP-only gateway cannot serve them, so both are off unless `sshEnabled` says the Service is exposed.
                "server": {"DOMAIN": settings.hostname, "ROOT_URL": settings.url}
                | (
                    {"START_SSH_SERVER": True, "DISABLE_SSH": False, "SSH_DOMAIN": settings.hostname}
                    if settings.ssh_enabled
                    else {"START_SSH_SERVER": False, "DISABLE_SSH": True}
                ),
                "service": {"DISABLE_REGISTRATION": True},
                "database": {"DB_TYPE": "sqlite3"},
            },
        },
    }
    if settings.fullname_override:
        values["fullnameOverride"] = settings.fullname_override
    return values | registration


class ForgejoServer(pulumi.ComponentResource):
    """Forgejo with Actions, installed by Helm into the server namespace."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        namespace_ready: pulumi.Resource,
        admin_password: pulumi.Output[str] | None = None,
        runner_secret: pulumi.Output[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """The namespace is a plain name, not an Output, so that the release is fully known at preview and the
        provider validates the chart then; ``namespace_ready`` orders the children after the namespace instead."""
        super().__init__("goldentooth:index:ForgejoServer", name, None, opts)
        namespace, adoption = settings.server_namespace, settings.adoption
        child = pulumi.ResourceOptions(parent=self, depends_on=[namespace_ready])

        # An adopted install's secrets are read, never generated (components/cluster.py says why).
        if admin_password is None and adoption is not None:
            admin_password = existing_value(
                f"{name}-admin-existing", namespace, adoption.admin_secret, "password", child
            )
        if admin_password is None:
            admin_password = GeneratedSecret(f"{name}-admin-password", PASSWORD, 32, opts=child).value
        self.admin_password: pulumi.Output[str] = pulumi.Output.secret(admin_password)
        admin_secret_name = adoption.admin_secret if adoption else f"{settings.fullname}-admin"
        credentials: dict[str, pulumi.Input[str]] = {
            "username": settings.admin_username,
            "password": self.admin_password,
        }
        admin_secret = opaque_secret(f"{name}-admin", admin_secret_name, namespace, credentials, child)

        if runner_secret is None and adoption is not None:
            where = (settings.runner_namespace, RUNNER_SECRET_NAME, RUNNER_SECRET_KEY)
            runner_secret = existing_value(f"{name}-runner-secret-existing", *where, child)
        if runner_secret is None:  # 20 random bytes: 40 hex characters
            runner_secret = GeneratedSecret(f"{name}-runner-secret", HEX, 20, opts=child).value
        # One shared secret per runner group; the first group's is the one above, as before there were groups.
        first, *more = groups = settings.runners
        secrets: dict[str, pulumi.Output[str]] = {first.name: runner_secret}
        secrets |= {g.name: GeneratedSecret(f"{name}-runner-{g.name}-secret", HEX, 20, opts=child).value for g in more}
        self.runner_secrets: dict[str, pulumi.Output[str]] = {
            group: pulumi.Output.secret(secret) for group, secret in secrets.items()
        }
        # One Secret holds every group's: key "token" the first group's (as before), "token-<name>" another's.
        keys = {g.name: RUNNER_SECRET_KEY if g is first else f"{RUNNER_SECRET_KEY}-{g.name}" for g in groups}
        registration_secret_name = f"{settings.fullname}-runner-registration"
        tokens = {keys[group]: secret for group, secret in self.runner_secrets.items()}
        registration_secret = opaque_secret(
            f"{name}-runner-registration", registration_secret_name, namespace, tokens, child
        )
        registrations = [(g.name, g.scope, keys[g.name]) for g in groups]
        registration = registration_values(registrations, registration_secret_name, settings.image)

        release_dependencies: list[pulumi.Resource] = [namespace_ready, admin_secret, registration_secret]
        if adoption is not None:
            release_dependencies.append(self._adopted_data_claim(name, settings, adoption, child))

        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            # A pinned name: without it Pulumi appends a random suffix, and
            # every chart-made name (the service, above all) would drift.
            name=settings.release_name,
            chart=naming.chart_reference(settings.chart_source),
            version=settings.chart_version,
            namespace=namespace,
            values=forgejo_values(settings, admin_secret_name, registration),
            # Image pulls on a Raspberry Pi and SQLite migrations take a while.
            timeout=900,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=release_dependencies,
                # `pulumi destroy` must not take the repositories with it.
                protect=settings.protect_data,
            ),
        )
        self.admin_username: pulumi.Output[str] = pulumi.Output.from_input(settings.admin_username)
        # The release's own output (not the config string), so consumers wait for the install.
        self.release_name: pulumi.Output[str] = self.release.name.apply(lambda name: name or settings.release_name)
        outputs = {"admin_username": self.admin_username, "admin_password": self.admin_password}
        self.register_outputs({**outputs, "release_name": self.release_name})

    def _adopted_data_claim(
        self, name: str, settings: Settings, adoption: Adoption, child: pulumi.ResourceOptions
    ) -> k8s.core.v1.PersistentVolumeClaim:
        """The adopted install's data volume, moved from the chart's care to Pulumi's: the release then mounts it
        rather than creating it. Helm drops an object that leaves its manifest unless it carries the keep policy, so
        the claim gets it here, in a step the release waits for, before the upgrade can touch it."""
        options = pulumi.ResourceOptions(
            protect=settings.protect_data, retain_on_delete=True,
            # The binding to its volume is the cluster's: left out here, it would read as a change of an immutable
            # field, which means replacement (refused: protected).
            ignore_changes=["spec.volumeName"],
        )  # fmt: skip
        namespace = settings.server_namespace
        spec = claim_spec(settings.storage_size, settings.storage_class)
        metadata = k8s.meta.v1.ObjectMetaArgs(
            name=adoption.data_claim, namespace=namespace, annotations={"helm.sh/resource-policy": "keep"}
        )
        return k8s.core.v1.PersistentVolumeClaim(
            f"{name}-data", metadata=metadata, spec=spec, opts=pulumi.ResourceOptions.merge(child, options)
        )
