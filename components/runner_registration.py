"""Server-side runner registration, run by a sidecar in the Forgejo pod (README: "Runner registration").

``forgejo forgejo-cli actions register`` opens the SQLite database directly, so it runs where the database is: in
the same pod, on the same volume (a Job would be a second pod on a ReadWriteOnce volume, an exec the manual step
the seed wanted gone). The loop retries until the database is migrated and registers again when the mounted Secret
changes (the kubelet refreshes mounted Secrets). Registering is idempotent; the secret comes from a file, never an
argument or the pod spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECRET_MOUNT = "/run/forgejo-runner-secret"
SECRET_FILE = f"{SECRET_MOUNT}/token"
VOLUME_NAME = "runner-shared-secret"
RETRY_SECONDS = 10
RECHECK_SECONDS = 60

REGISTER_LOOP = f"""\
registered=""
while true; do
  current="$(sha256sum {SECRET_FILE} | cut -d ' ' -f 1)"
  if [ "$current" != "$registered" ]; then
    if forgejo forgejo-cli actions register --name "$RUNNER_NAME" --secret-file {SECRET_FILE} --keep-labels; then
      registered="$current"
      echo "runner $RUNNER_NAME registered"
    else
      echo "registering runner $RUNNER_NAME failed (database not migrated yet?); retrying in {RETRY_SECONDS}s"
      sleep {RETRY_SECONDS}
      continue
    fi
  fi
  sleep {RECHECK_SECONDS}
done
"""

# The chart's own environment for the Forgejo container (templates/gitea/deployment.yaml),
# so forgejo-cli finds the same app.ini, custom dir and work path as the server.
FORGEJO_ENV = {
    "GITEA_APP_INI": "/data/gitea/conf/app.ini",
    "GITEA_CUSTOM": "/data/gitea",
    "GITEA_WORK_DIR": "/data",
    "GITEA_TEMP": "/tmp/gitea",
    "TMPDIR": "/tmp/gitea",
    "HOME": "/data/gitea/git",
}

# What PodSecurity's `restricted` level asks of every container in the server namespace (which warns and
# audits at that level), for the rootless image's user 1000 (git). The pod adds the seccomp profile.
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "runAsGroup": 1000,
}

SIDECAR_RESOURCES = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}


@dataclass(frozen=True)
class RunnerRegistration:
    runner_name: str
    secret_name: str
    secret_key: str
    image: str


def registration_values(registration: RunnerRegistration) -> dict[str, Any]:
    """Chart values adding the registration sidecar and the Secret volume it reads."""
    env = [{"name": name, "value": value} for name, value in FORGEJO_ENV.items()]
    env.append({"name": "RUNNER_NAME", "value": registration.runner_name})
    return {
        "extraContainers": [
            {
                "name": "runner-registration",
                "image": registration.image,
                "command": ["/bin/sh", "-c", REGISTER_LOOP],
                "env": env,
                "volumeMounts": [
                    # "data" and "temp" are the chart's volumes, the ones the server uses.
                    {"name": "data", "mountPath": "/data"},
                    {"name": "temp", "mountPath": "/tmp"},
                    {"name": VOLUME_NAME, "mountPath": SECRET_MOUNT, "readOnly": True},
                ],
                "resources": SIDECAR_RESOURCES,
                "securityContext": RESTRICTED_CONTAINER,
            }
        ],
        "extraVolumes": [
            {
                "name": VOLUME_NAME,
                "secret": {
                    "secretName": registration.secret_name,
                    "items": [{"key": registration.secret_key, "path": "token"}],
                },
            }
        ],
    }
