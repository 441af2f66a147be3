"""The Forgejo server: admin credentials and the Helm release from Forgejo's OCI chart."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.config import ForgejoSettings
from components.forgejo_values import forgejo_values
from components.labels import common_labels
from components.naming import CHART_REPOSITORY
from components.runner_registration import RunnerRegistration

RUNNER_SECRET_KEY = "token"


def opaque_secret(
    resource_name: str,
    secret_name: str,
    namespace: str,
    string_data: dict[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> k8s.core.v1.Secret:
    """A Secret for pods to read by secretKeyRef or volume; pulumi-kubernetes keeps its data secret in state."""
    return k8s.core.v1.Secret(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace, labels=common_labels("secret")),
        type="Opaque",
        string_data=string_data,
        opts=opts,
    )


class ForgejoServer(pulumi.ComponentResource):
    """Forgejo with Actions, installed by Helm into the server namespace."""

    admin_username: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    runner_secret: pulumi.Output[str]
    release_name: pulumi.Output[str]
    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        settings: ForgejoSettings,
        namespace: str,
        namespace_ready: pulumi.Resource,
        runner_name: str,
        admin_password: pulumi.Output[str] | None = None,
        runner_secret: pulumi.Output[str] | None = None,
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
        admin_secret = opaque_secret(
            f"{name}-admin",
            admin_secret_name,
            namespace,
            {"username": settings.admin_username, "password": self.admin_password},
            child,
        )

        if runner_secret is None:
            # 20 random bytes as 40 lower-case hex characters: the only form
            # forgejo-cli and create-runner-file accept. RandomBytes keeps its
            # hex output secret (RandomId would put it in the resource id).
            runner_secret = random.RandomBytes(f"{name}-runner-secret", length=20, opts=child).hex
        self.runner_secret = pulumi.Output.secret(runner_secret)
        runner_secret_name = f"{settings.fullname}-runner-registration"
        registration_secret = opaque_secret(
            f"{name}-runner-registration",
            runner_secret_name,
            namespace,
            {RUNNER_SECRET_KEY: self.runner_secret},
            child,
        )
        registration = RunnerRegistration(
            runner_name=runner_name,
            secret_name=runner_secret_name,
            secret_key=RUNNER_SECRET_KEY,
            image=settings.image,
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
                values=forgejo_values(settings, admin_secret_name, registration),
                # Image pulls on a Raspberry Pi and SQLite migrations take a while.
                timeout=900,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[namespace_ready, admin_secret, registration_secret],
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
