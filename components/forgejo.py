"""The Forgejo server: credentials, the runner's shared secret and the Helm release from Forgejo's OCI chart."""

from __future__ import annotations

import pulumi
from pulumi_kubernetes.core.v1 import (
    PersistentVolumeClaim,
    PersistentVolumeClaimSpecArgs,
    VolumeResourceRequirementsArgs,
)
from pulumi_kubernetes.helm.v3 import Release

from components.adoption import existing_secret_value, import_id
from components.forgejo_values import forgejo_values
from components.generated_secret import HEX, PASSWORD, GeneratedSecret
from components.k8s_secrets import RUNNER_SECRET_KEY, RUNNER_SECRET_NAME, opaque_secret
from components.labels import object_meta
from components.runner_registration import RunnerRegistration
from components.settings import Adoption, ForgejoSettings


class ForgejoServer(pulumi.ComponentResource):
    """Forgejo with Actions, installed by Helm into the server namespace."""

    def __init__(
        self,
        name: str,
        settings: ForgejoSettings,
        *,
        namespace: str,
        namespace_ready: pulumi.Resource,
        runner_name: str,
        runner_namespace: str,
        admin_password: pulumi.Output[str] | None = None,
        runner_secret: pulumi.Output[str] | None = None,
        adoption: Adoption | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``namespace`` is a plain name, not an Output, so that the release is
        fully known at preview and the provider validates the chart then;
        ``namespace_ready`` orders the children after the namespace instead."""
        super().__init__("goldentooth:index:ForgejoServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=[namespace_ready])

        if admin_password is None and adoption is not None:
            admin_password = existing_secret_value(
                f"{name}-admin-existing", namespace, adoption.admin_secret, "password", child
            )
        if admin_password is None:
            admin_password = GeneratedSecret(f"{name}-admin-password", PASSWORD, 32, opts=child).value
        self.admin_password: pulumi.Output[str] = pulumi.Output.secret(admin_password)

        admin_secret_name = adoption.admin_secret if adoption else f"{settings.fullname}-admin"
        admin_secret = opaque_secret(
            f"{name}-admin",
            admin_secret_name,
            namespace,
            {"username": settings.admin_username, "password": self.admin_password},
            pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(import_=import_id(adoption, admin_secret_name, namespace))
            ),
            adopted=adoption is not None,
        )

        if runner_secret is None and adoption is not None:
            runner_secret = existing_secret_value(
                f"{name}-runner-secret-existing", runner_namespace, RUNNER_SECRET_NAME, RUNNER_SECRET_KEY, child
            )
        if runner_secret is None:
            # 20 random bytes: 40 hex characters.
            runner_secret = GeneratedSecret(f"{name}-runner-secret", HEX, 20, opts=child).value
        self.runner_secret: pulumi.Output[str] = pulumi.Output.secret(runner_secret)
        registration_secret_name = f"{settings.fullname}-runner-registration"
        registration_secret = opaque_secret(
            f"{name}-runner-registration",
            registration_secret_name,
            namespace,
            {RUNNER_SECRET_KEY: self.runner_secret},
            child,
        )
        registration = RunnerRegistration(
            runner_name=runner_name,
            secret_name=registration_secret_name,
            secret_key=RUNNER_SECRET_KEY,
            image=settings.image,
        )

        release_dependencies: list[pulumi.Resource] = [namespace_ready, admin_secret, registration_secret]
        if adoption is not None:
            release_dependencies.append(self._adopted_data_claim(name, settings, namespace, adoption, child))

        self.release = Release(
            f"{name}-release",
            # A pinned name: without it Pulumi appends a random suffix, and
            # every chart-made name (the service, above all) would drift.
            name=settings.release_name,
            chart=settings.chart,
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
                import_=import_id(adoption, settings.release_name, namespace),
            ),
        )
        self.admin_username: pulumi.Output[str] = pulumi.Output.from_input(settings.admin_username)
        # The release's own output (not the config string), so consumers wait for the install.
        self.release_name: pulumi.Output[str] = self.release.name.apply(
            lambda installed: installed or settings.release_name
        )
        self.register_outputs(
            {
                "admin_username": self.admin_username,
                "admin_password": self.admin_password,
                "release_name": self.release_name,
            }
        )

    def _adopted_data_claim(
        self,
        name: str,
        settings: ForgejoSettings,
        namespace: str,
        adoption: Adoption,
        child: pulumi.ResourceOptions,
    ) -> PersistentVolumeClaim:
        """The adopted install's data volume, moved from the chart's care to Pulumi's.

        The release is then told to mount it rather than create it. Helm drops
        an object that leaves its manifest unless it carries the keep policy,
        so the claim gets that annotation here, in a step the release waits
        for, before the upgrade can touch it.
        """
        storage = settings.storage
        spec = PersistentVolumeClaimSpecArgs(
            access_modes=["ReadWriteOnce"],
            resources=VolumeResourceRequirementsArgs(requests={"storage": storage.size}),
            storage_class_name=storage.storage_class or None,
        )
        return PersistentVolumeClaim(
            f"{name}-data",
            metadata=object_meta(
                name=adoption.data_claim,
                namespace=namespace,
                annotations={"helm.sh/resource-policy": "keep"},
                adopted=True,
            ),
            spec=spec,
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    import_=import_id(adoption, adoption.data_claim, namespace),
                    protect=settings.protect_data,
                    retain_on_delete=True,
                    # The binding to its volume is the cluster's: left out here, it would read as a
                    # change of an immutable field, which means replacement (refused: protected).
                    ignore_changes=["spec.volumeName"],
                ),
            ),
        )
