"""The ApiTokens component: one Forgejo access token per configured token, and the Secret that delivers its value.

Each token is named ``<component>/<user>/<name>``, the user lower-cased (Forgejo's user names are case-insensitive;
token names are not). A token with ``secret`` also gets an opaque Secret in that namespace, which must exist already.
A replacement makes the new token, then updates the Secret, then revokes the old token (README, "Access tokens").
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.api_token_provider import ForgejoApiToken
from components.cluster import opaque_secret
from components.config import ApiTokenConfig
from components.forgejo_api import ForgejoConnection


class ApiTokens(pulumi.ComponentResource):
    """Access tokens in Forgejo, keyed "user/name"."""

    def __init__(
        self,
        name: str,
        specs: Sequence[ApiTokenConfig],
        connection: ForgejoConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:ApiTokens", name, None, opts)
        self.specs = {f"{spec.user}/{spec.name}": spec for spec in specs}
        self.tokens: dict[str, ForgejoApiToken] = {}
        self.secrets: dict[str, k8s.core.v1.Secret] = {}
        # Children wait for what the component waits for (the Helm release): Forgejo must exist first.
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        for key, spec in self.specs.items():
            resource = f"{name}/{spec.user.lower()}/{spec.name}"
            self.tokens[key] = token = ForgejoApiToken(resource, spec, connection, child)
            if where := spec.secret:
                self.secrets[key] = opaque_secret(
                    f"{resource}/secret", where.name, where.namespace, {where.key: token.token},
                    pulumi.ResourceOptions(parent=self),
                )  # fmt: skip
        self.register_outputs({"token_names": {key: token.token_name for key, token in self.tokens.items()}})
