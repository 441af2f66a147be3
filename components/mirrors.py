"""The Mirrors component: one Forgejo pull mirror resource per MirrorSpec.

Keeping a mirror's Forgejo repository when the mirror leaves the config (or
the stack is destroyed) is Pulumi's ``retain_on_delete`` option, set here from
``MirrorSpec.retain`` (``protectData`` unless the mirror says otherwise): the
provider's ``delete`` is then never called, and the engine shows
``delete[retain]``.

Each mirror is named ``<component>/<owner>/<name>``, owner and name lower-cased:
``/`` cannot occur in either, so no two mirrors share a name, and Forgejo's
names are case-insensitive, so a change of case in config keeps the resource.
The component's name leads, so a renamed component with an alias carries its
children along (the engine derives their aliases from its). Stacks made
before this scheme had ``<component>-<owner>-<name>``: each mirror carries
that name as an alias, so they keep their resources. Should a URN still
change without an alias, the claim in the repository keeps the old
resource's delete from removing it (``components/mirror_provider.py``).

Each mirror runs the upstream's workflows on your runners once Actions are on;
see the security note in ``components/mirror_provider.py``.
"""

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import pulumi

from components.mirror_provider import ForgejoMirror, ForgejoMirrorArgs
from components.mirror_rules import MirrorSpec


class ForgejoConnection(NamedTuple):
    """How the mirror provider reaches Forgejo's API.

    Give either ``username`` + ``password`` (admin basic auth) or ``token``;
    both are wrapped as secrets before they reach any resource.
    """

    api_url: str
    username: str = ""
    password: pulumi.Input[str] | None = None
    token: pulumi.Input[str] | None = None
    ca_bundle: str | None = None
    """PEM text of the CA that signed Forgejo's certificate (goldentooth's Step-CA root)."""
    insecure: bool = False
    """Skip TLS verification. Never the default; the component warns when it is on."""

    def api_auth(self) -> pulumi.Output[Mapping[str, pulumi.Input[str]]]:
        if self.token is not None:
            return pulumi.Output.secret({"token": self.token})
        if self.username and self.password is not None:
            return pulumi.Output.secret({"username": self.username, "password": self.password})
        raise ValueError("ForgejoConnection needs a token, or a username and a password")


class Mirrors(pulumi.ComponentResource):
    """Pull mirrors in Forgejo, keyed "owner/name" in ``mirrors``."""

    def __init__(
        self,
        name: str,
        specs: Sequence[MirrorSpec],
        connection: ForgejoConnection,
        min_interval: str,
        upstream_tokens: Mapping[str, pulumi.Input[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("goldentooth:index:Mirrors", name, None, opts)
        upstream_tokens = upstream_tokens or {}
        _check_keys(specs, upstream_tokens)
        if connection.insecure:
            pulumi.log.warn(
                "Forgejo mirrors: TLS verification of the Forgejo API is OFF (insecure: true); "
                "set ca_bundle to the Step-CA root instead.",
                resource=self,
            )

        api_auth = connection.api_auth()
        # Children wait for what the component waits for (the Helm release): Forgejo must exist first.
        depends_on = opts.depends_on if opts else None
        self.mirrors: dict[str, ForgejoMirror] = {}
        for spec in specs:
            token = upstream_tokens.get(spec.full_name)
            args = ForgejoMirrorArgs.from_spec(
                spec,
                api_url=connection.api_url,
                api_auth=api_auth,
                min_interval=min_interval,
                upstream_token=pulumi.Output.secret(token) if token is not None else None,
                ca_bundle=connection.ca_bundle,
                insecure=connection.insecure,
            )
            self.mirrors[spec.full_name] = ForgejoMirror(
                mirror_resource_name(name, spec),
                args,
                pulumi.ResourceOptions(
                    parent=self,
                    depends_on=depends_on,
                    retain_on_delete=spec.retain,
                    aliases=[pulumi.Alias(name=f"{name}-{spec.owner}-{spec.name}")],  # the earlier naming
                ),
            )

        self.register_outputs({"html_urls": {key: mirror.html_url for key, mirror in self.mirrors.items()}})


def mirror_resource_name(component: str, spec: MirrorSpec) -> str:
    """``<component>/<owner>/<name>``, owner and name lower-cased (see the module docstring)."""
    return f"{component}/{spec.owner.lower()}/{spec.name.lower()}"


def _check_keys(specs: Sequence[MirrorSpec], upstream_tokens: Mapping[str, object]) -> None:
    """Duplicates (case-insensitively) would collide in Forgejo and in their names; a token for no mirror is a typo."""
    names = [spec.full_name for spec in specs]
    lowered = [full_name.lower() for full_name in names]  # Forgejo names are case-insensitive
    duplicates = sorted({full_name for full_name in names if lowered.count(full_name.lower()) > 1})
    if duplicates:
        raise ValueError(f"mirrors listed more than once: {', '.join(duplicates)}")
    strays = sorted(set(upstream_tokens) - set(names))
    if strays:
        raise ValueError(f"upstream tokens given for mirrors that are not configured: {', '.join(strays)}")
