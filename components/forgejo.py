"""The Forgejo server: admin credentials and the Helm release from Forgejo's OCI chart."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.config import ForgejoSettings
from components.forgejo_values import forgejo_values
from components.labels import common_labels
from components.naming import CHART_REPOSITORY


class ForgejoServer(pulumi.ComponentResource):
    """Forgejo with Actions, installed by Helm into the server namespace."""

    admin_username: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    release_name: pulumi.Output[str]
    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        settings: ForgejoSettings,
        namespace: str,
        namespace_ready: pulumi.Resource,
        admin_password: pulumi.Output[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``namespace`` is a plain name, not an Output, so that the release is
        fully known at preview and the provider validates the chart then;
        ``namespace_ready`` orders the children after the namespace instead."""
        super().__init__("goldentooth:index:ForgejoServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=[namespace_ready])

        if admin_password is None:
            # Alphanumeric only: the password travels through shell scripts in
            # the chart's init container and through basic auth.
            generated = random.RandomPassword(f"{name}-admin-password", length=32, special=False, opts=child)
            admin_password = generated.result
        self.admin_password = pulumi.Output.secret(admin_password)

        admin_secret_name = f"{settings.fullname}-admin"
        admin_secret = k8s.core.v1.Secret(
            f"{name}-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=admin_secret_name,
                namespace=namespace,
                labels=common_labels("forgejo"),
            ),
            type="Opaque",
            string_data={"username": settings.admin_username, "password": self.admin_password},
            opts=child,
        )

        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                # A pinned name: without it Pulumi appends a random suffix, and
                # every chart-made name (the service, above all) would drift.
                name=settings.release_name,
                chart=CHART_REPOSITORY,
                version=settings.chart_version,
                namespace=namespace,
                values=forgejo_values(settings, admin_secret_name),
                # Image pulls on a Raspberry Pi and SQLite migrations take a while.
                timeout=900,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[namespace_ready, admin_secret],
                # `pulumi destroy` must not take the repositories with it.
                protect=settings.protect_data,
            ),
        )
        self.admin_username = pulumi.Output.from_input(settings.admin_username)
        # The release's own output (not the config string), so consumers wait for the install.
        self.release_name = self.release.name.apply(lambda installed: installed or settings.release_name)
        self.register_outputs(
            {
                "admin_username": self.admin_username,
                "admin_password": self.admin_password,
                "release_name": self.release_name,
            }
        )
