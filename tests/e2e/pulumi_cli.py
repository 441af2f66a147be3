"""The real Pulumi CLI, run on a copy of this project the way a user runs it.

Each scenario works on its own copy (the README's commands edit the stack file
and create ``.venv``), with a ``file://`` backend, passphrase secrets, the test
cluster's kubeconfig and the plugins built by ``tools/build_tools.py``, which
are registered under the versions they were built from. Every command's output
is kept in ``<copy>/../logs`` for when a scenario fails.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.tools.build_tools import KUBERNETES_PROVIDER_VERSION, plugin_binary

ROOT = Path(__file__).resolve().parents[2]
STACK = "goldentooth"
PASSPHRASE = "e2e-passphrase-not-a-secret"
# What a copy of the project leaves out: it is what a clone would have.
_NOT_COPIED = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".*_cache", "*.pyc")
# Pulumi asks before it changes anything; the test answers as a person would.
_CONFIRM_PROMPT = re.compile(rb"Do you want to perform this (update|destroy)\?")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class CommandFailed(AssertionError):
    def __init__(self, command: str, returncode: int, output: str) -> None:
        tail = "\n".join(output.splitlines()[-60:])
        super().__init__(f"`{command}` exited {returncode}:\n{tail}")
        self.returncode = returncode
        self.output = output


@dataclass
class Result:
    command: str
    returncode: int
    output: str
    seconds: float


@dataclass
class PulumiProject:
    """A copy of the project with an environment in which ``pulumi`` works against the test cluster."""

    directory: Path
    env: dict[str, str]
    logs: Path
    history: list[Result] = field(default_factory=list)

    @classmethod
    def copy(cls, workdir: Path, *, tools_bin: Path, pulumi_home: Path, kubeconfig: Path) -> PulumiProject:
        directory = workdir / "project"
        shutil.copytree(ROOT, directory, ignore=_NOT_COPIED)
        logs = workdir / "logs"
        logs.mkdir(exist_ok=True)
        env = {
            "PATH": f"{tools_bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": os.environ.get("HOME", str(workdir)),
            "PULUMI_HOME": str(pulumi_home),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            # Every plugin is built here; a download attempt would be a bug in the test setup.
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "false",
            "KUBECONFIG": str(kubeconfig),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "LANG": "C.UTF-8",
        }
        return cls(directory, env, logs)

    def _record(self, command: str, returncode: int, output: str, began: float, check: bool) -> Result:
        result = Result(command, returncode, _ANSI.sub("", output).replace("\r", ""), time.monotonic() - began)
        self.history.append(result)
        with (self.logs / "commands.log").open("a") as log:
            log.write(f"\n$ {command}  # exit {returncode}, {result.seconds:.1f} s\n{result.output}\n")
        if check and returncode != 0:
            raise CommandFailed(command, returncode, result.output)
        return result

    def sh(self, command: str, *, check: bool = True, timeout: float = 900) -> Result:
        """A shell command line, as a README gives it, run without a terminal."""
        began = time.monotonic()
        completed = subprocess.run(
            ["bash", "-c", command],
            cwd=self.directory,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        return self._record(command, completed.returncode, completed.stdout, began, check)

    def pulumi(self, *args: str, check: bool = True, timeout: float = 900) -> Result:
        return self.sh(shlex.join(["pulumi", *args]), check=check, timeout=timeout)

    def interactive(self, command: str, *, answer: str = "yes", timeout: float = 900) -> Result:
        """Run ``command`` in a terminal and answer Pulumi's confirmation prompt, as the README's user does."""
        began = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the command
            os.chdir(self.directory)
            os.execvpe("bash", ["bash", "-c", command], self.env)
        chunks: list[bytes] = []
        answered = False
        deadline = began + timeout
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 1.0)
                if not ready:
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child closed the terminal: it is done
                    break
                if not chunk:
                    break
                chunks.append(chunk)
                if not answered and _CONFIRM_PROMPT.search(b"".join(chunks[-8:])):
                    # The prompt filters its options as one types; Enter takes the one left.
                    os.write(fd, answer.encode() + b"\r")
                    answered = True
            else:
                os.kill(pid, 9)
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        returncode = os.waitstatus_to_exitcode(status)
        return self._record(command, returncode, b"".join(chunks).decode(errors="replace"), began, True)

    # -- reading results ---------------------------------------------------

    def preview_steps(self, *extra: str) -> list[dict[str, Any]]:
        """The steps of ``pulumi preview --json``: each with op, urn and, for updates, the changed keys."""
        result = self.pulumi("preview", "--stack", STACK, "--json", *extra)
        return list(json.loads(result.output[result.output.index("{") :]).get("steps", []))

    def preview_changes(self, *extra: str) -> set[tuple[str, str]]:
        """(op, resource name) of each step that changes something: a read (the CA from the cluster) changes nothing."""
        return {(str(step["op"]), str(step["urn"]).split("::")[-1]) for step in self.preview_steps(*extra)
                if step["op"] not in ("same", "read")}  # fmt: skip

    def stack_export(self) -> dict[str, Any]:
        return dict(json.loads(self.pulumi("stack", "export", "--stack", STACK).output))

    def config_set(self, key: str, value: str, *, secret: bool = False, path: bool = False) -> None:
        flags = [*(["--secret"] if secret else []), *(["--path"] if path else [])]
        self.pulumi("config", "set", *flags, "--stack", STACK, "--", key, value)


def register_plugins(tools: Path, pulumi_home: Path) -> None:
    """Install the providers into PULUMI_HOME under the versions they were built from."""
    env = {**os.environ, "PULUMI_HOME": str(pulumi_home), "PULUMI_SKIP_UPDATE_CHECK": "true"}
    binary = plugin_binary(tools, "pulumi-resource-kubernetes")
    subprocess.run(
        [
            str(tools / "bin" / "pulumi"),
            "plugin",
            "install",
            "resource",
            "kubernetes",
            KUBERNETES_PROVIDER_VERSION,
            "--file",
            str(binary),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
