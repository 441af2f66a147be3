"""The README's own commands, as the e2e scenarios run them."""

from __future__ import annotations

import re

from tests.e2e.pulumi_cli import ROOT

README = (ROOT / "README.md").read_text()


def fenced_lines() -> list[str]:
    # Blocks inside list items are indented; the commands are what matters.
    return [line.strip() for block in re.findall(r"```sh\n(.*?)```", README, re.S) for line in block.splitlines()]


def command_starting(prefix: str) -> str:
    """The one fenced command line that starts with ``prefix``."""
    matches = [line for line in fenced_lines() if line.startswith(prefix)]
    assert len(matches) == 1, f"the README should have exactly one command starting {prefix!r}: {matches}"
    return matches[0]


def deploy_steps(backend: str) -> list[str]:
    """The fresh-cluster deploy command, one step per ``&&``, logged in to ``backend`` instead of ``~/.pulumi``.

    The backend is the one change to the steps themselves; the chart, the
    kubeconfig and the Forgejo API stand-in are set apart from them.
    """
    deploy = [line for line in fenced_lines() if line.startswith("pulumi login --local") and "&& pulumi up " in line]
    assert len(deploy) == 1, f"the README should have one deploy command that logs in, installs and runs up: {deploy}"
    steps = deploy[0].split(" && ")
    assert steps[0] == "pulumi login --local"
    return [f"pulumi login {backend}", *steps[1:]]
