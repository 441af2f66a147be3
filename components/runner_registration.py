"""Server-side runner registration, run by a sidecar in the Forgejo pod.

Why a sidecar (the chart's ``extraContainers``) and not a Job or an exec:
``forgejo forgejo-cli actions register`` opens the SQLite database directly,
so it must run where the database is, on the same volume of the same pod.
A Job would mount the ReadWriteOnce volume from a second pod (on another
node it cannot, on the same node it would be a second SQLite writer outside
the server's process group), and `kubectl exec` is the manual step the seed
wanted gone. The sidecar shares the data volume and app.ini, waits for the
database to be migrated by retrying, and registers again whenever the
mounted Secret changes, which is how a rotated secret is followed
(the kubelet refreshes mounted Secrets; environment variables never change).

The command is idempotent: registering the same secret and name twice is a
no-op in Forgejo. The secret is read from a file (``--secret-file``), so it
never appears on a command line or in the pod spec.
"""

from typing import Any, NamedTuple

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


class RunnerRegistration(NamedTuple):
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
