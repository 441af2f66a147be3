"""The Mirrors component: one Forgejo pull mirror resource per configured mirror (README, "Mirrors").

Each is named ``<component>/<owner>/<name>``, lower-cased: ``/`` occurs in neither name and Forgejo's names are
case-insensitive, so no two mirrors share a name and a change of case keeps the resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.forgejo_api import ForgejoConnection
from components.mirror_provider import ForgejoMirror
from components.mirror_spec import MirrorConfig, MirrorSpec


class Mirrors(pulumi.ComponentResource):
    """Pull mirrors in Forgejo, keyed "owner/name"; ``retain`` is what a mirror without its own gets (the stack's
    ``protectData``), as Pulumi's ``retain_on_delete``."""

    def __init__(
        self,
        name: str,
        specs: Sequence[MirrorConfig],
        connection: ForgejoConnection,
        min_interval: str,
        upstream_tokens: Mapping[str, pulumi.Input[str]] | None = None,
        retain: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:Mirrors", name, None, opts)
        if connection.insecure:
            pulumi.log.warn(
                "Forgejo mirrors: TLS verification of the Forgejo API is OFF (forgejoInsecure: true); "
                "set forgejoCaFrom or forgejoCaBundle to the CA that signed Forgejo's certificate instead.",
                resource=self,
            )
        self.mirrors = {
            spec.full_name: ForgejoMirror(
                mirror_resource_name(name, spec),
                spec,
                connection,
                pulumi.ResourceOptions(
                    parent=self,
                    # Children wait for what the component waits for (the Helm release): Forgejo must exist first.
                    depends_on=opts.depends_on if opts else None,
                    retain_on_delete=retain if spec.retain is None else spec.retain,
                    aliases=[pulumi.Alias(name=f"{name}-{spec.repo_owner}-{spec.repo_name}")],  # the earlier naming
                ),
                min_interval=min_interval,
                auth_token=(upstream_tokens or {}).get(spec.full_name),
            )
            for spec in specs
        }
        self.register_outputs({"html_urls": {key: mirror.html_url for key, mirror in self.mirrors.items()}})


def mirror_resource_name(component: str, spec: MirrorSpec) -> str:
    return f"{component}/{spec.repo_owner.lower()}/{spec.repo_name.lower()}"
