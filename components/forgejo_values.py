"""Helm values for the Forgejo chart, built from validated settings.

Kept apart from the component so the values can be tested as plain data, and
so every path set outside ``gitea.config`` can be checked against the chart's
own values.yaml (a typo there is silently ignored by Helm).
"""

from __future__ import annotations

from typing import Any

from components.config import Settings
from components.runner_registration import RESTRICTED_CONTAINER


def forgejo_values(
    settings: Settings, admin_secret_name: str, registration: dict[str, Any] | None = None
) -> dict[str, Any]:
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
                # The Secret holds username and password only; the chart reads
                # the e-mail address from values.
                "existingSecret": admin_secret_name,
                "email": settings.admin_email,
                "passwordMode": "keepUpdated",
            },
            "config": {
                "actions": {"ENABLED": True},
                "mirror": {"ENABLED": True, "MIN_INTERVAL": settings.mirror_min_interval},
                # Forgejo syncs a due mirror only when this cron fires (every 10m by
                # default). Each run is one cheap query for mirrors whose next sync
                # time has passed, so every minute bounds the lag from an upstream
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
    if registration is not None:
        values.update(registration)
    return values
