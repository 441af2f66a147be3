"""Server-side runner registration, run by a sidecar in the Forgejo pod (README: "Runner registration").

``forgejo forgejo-cli actions register`` opens the SQLite database directly, so it runs where the database is: in
the same pod, on the same volume (a Job would be a second pod on a ReadWriteOnce volume, an exec the manual step
the seed wanted gone). One loop registers every runner group, each with its own secret
file and scope; it retries until the database is migrated (and a scope's owner or repository exists) and registers
a group again when its file changes (the kubelet refreshes mounted Secrets). Registering is idempotent; a secret
comes from a file, never an argument or the pod spec.
"""

from __future__ import annotations

from typing import Any

SECRET_MOUNT = "/run/forgejo-runner-secret"
VOLUME_NAME = "runner-shared-secret"

# Arguments: <runner name> <scope> <secret file>, once per runner group. "registered" holds "<name>=<digest of its
# secret file>" for each group registered with its current secret; a group missing from it (not yet, or its secret
# changed) is registered on the next pass. RETRY_SECONDS and RECHECK_SECONDS are there for the tests.
REGISTER_LOOP = """\
registered=""
register_all() {
  now=""
  status=0
  while [ "$#" -ge 3 ]; do
    entry="$1=$(sha256sum "$3" | cut -d ' ' -f 1)"
    case " $registered " in
      *" $entry "*) now="$now $entry" ;;
      *)
        if forgejo forgejo-cli actions register --name "$1" --scope "$2" --secret-file "$3" --keep-labels; then
          echo "runner $1 registered (scope: ${2:-the whole instance})"
          now="$now $entry"
        else
          echo "registering runner $1 failed (database not migrated yet, or scope $2 does not exist yet?)"
          status=1
        fi
        ;;
    esac
    shift 3
  done
  registered="$now"
  return "$status"
}
while true; do
  if register_all "$@"; then
    sleep "${RECHECK_SECONDS:-60}"
  else
    echo "retrying in ${RETRY_SECONDS:-10}s"
    sleep "${RETRY_SECONDS:-10}"
  fi
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


def registration_values(groups: list[tuple[str, str, str]], secret_name: str, image: str) -> dict[str, Any]:
    """Chart values adding the registration sidecar and the Secret volume it reads, one file per group; each group
    as (runner name, scope, its key in the registration Secret)."""
    arguments = [part for name, scope, _ in groups for part in (name, scope, f"{SECRET_MOUNT}/{name}")]
    return {
        "extraContainers": [
            {
                "name": "runner-registration",
                "image": image,
                # After the script come $0 (the name in its messages) and the groups' arguments.
                "command": ["/bin/sh", "-c", REGISTER_LOOP, "runner-registration", *arguments],
                "env": [{"name": name, "value": value} for name, value in FORGEJO_ENV.items()],
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
                    "secretName": secret_name,
                    "items": [{"key": key, "path": name} for name, _, key in groups],
                },
            }
        ],
    }
