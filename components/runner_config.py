"""The runner's config file, written with pyyaml from typed settings.

The runner takes its labels only from this file (runner.labels); environment
variables and flags do not set them, which is why the seed's runner first
registered with no labels and picked up no jobs.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from components.settings import RunnerSettings

CONFIG_DIR = "/etc/runner"
CONFIG_FILE = f"{CONFIG_DIR}/config.yaml"
DOCKER_SOCKET = "unix:///var/run/docker.sock"


def runner_config(settings: RunnerSettings) -> dict[str, Any]:
    return {
        "log": {"level": "info"},
        "runner": {
            # Relative to the working directory (/data), where create-runner-file wrote it.
            "file": ".runner",
            "capacity": settings.capacity,
            "timeout": settings.timeout,
            "shutdown_timeout": settings.shutdown_timeout,
            "labels": list(settings.labels),
        },
        "cache": {"enabled": True},
        "container": {
            # The DinD sidecar's socket; the runner also mounts it into job
            # containers, which is what lets a job run `docker build`.
            "docker_host": DOCKER_SOCKET,
            "network": "",
            "privileged": False,
        },
    }


def runner_config_yaml(settings: RunnerSettings) -> str:
    # libyaml's emitter when present: the pure-Python one is a noticeable share of a mocked run.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(runner_config(settings), Dumper=dumper, sort_keys=False)


def config_checksum(config_yaml: str) -> str:
    """Pod template annotation: a config change changes the template, so the pod rolls."""
    return hashlib.sha256(config_yaml.encode()).hexdigest()
