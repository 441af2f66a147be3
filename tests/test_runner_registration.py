"""The registration sidecar's loop, run under `sh` against a stub `forgejo`: retries, one registration per group with
its own name, scope and secret file, and again when a group's secret file changes. It passes shellcheck."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.runner_registration import REGISTER_LOOP
from tests.test_workflows import shellcheck_binary

INTERVAL = "0.05"  # RETRY_SECONDS and RECHECK_SECONDS: the loop's sleeps, shortened
DEADLINE = 10.0  # seconds any one expectation may take
FAILING_CALLS = 3
SECRET_A = "0123456789abcdef0123456789abcdef01234567"
SECRET_B = "fedcba9876543210fedcba9876543210fedcba98"
ROTATED_B = "00112233445566778899aabbccddeeff00112233"

# Records each call (its arguments and the secret its --secret-file holds) and fails the first FAIL_FIRST calls as
# forgejo-cli does before the database is migrated.
STUB = f"""#!{sys.executable}
import json, os, sys
from pathlib import Path

log = Path(os.environ["STUB_LOG"])
calls = len(log.read_text().splitlines()) if log.exists() else 0
args = sys.argv[1:]
secret = Path(args[args.index("--secret-file") + 1]).read_text() if "--secret-file" in args else None
failed = calls < int(os.environ["FAIL_FIRST"])
with log.open("a") as out:
    out.write(json.dumps({{"args": args, "secret": secret, "failed": failed}}) + "\\n")
if failed:
    sys.exit("Error: database not migrated: no such table: action_runner")
"""


def register_args(name: str, scope: str, secret_file: Path) -> list[str]:
    return ["forgejo-cli", "actions", "register", "--name", name, "--scope", scope, "--secret-file", str(secret_file),
            "--keep-labels"]  # fmt: skip


class Loop:
    """The loop as the sidecar runs it, in its own process group, with its stub and its secret files."""

    def __init__(self, tmp_path: Path) -> None:
        self.secrets = tmp_path / "secrets"
        self.secrets.mkdir()
        self.write_secret("a", SECRET_A)
        self.write_secret("b", SECRET_B)
        stub_dir = tmp_path / "bin"
        stub_dir.mkdir()
        (stub_dir / "forgejo").write_text(STUB)
        (stub_dir / "forgejo").chmod(0o755)
        self.log = tmp_path / "calls.jsonl"
        self.output = tmp_path / "output.txt"
        env = {**os.environ, "PATH": f"{stub_dir}{os.pathsep}{os.environ['PATH']}", "STUB_LOG": str(self.log),
               "FAIL_FIRST": str(FAILING_CALLS), "RETRY_SECONDS": INTERVAL, "RECHECK_SECONDS": INTERVAL}  # fmt: skip
        arguments = ["a", "", str(self.secrets / "a"), "b", "forgejo_admin/mcp", str(self.secrets / "b")]
        with self.output.open("w") as output:
            self.process = subprocess.Popen(
                ["sh", "-c", REGISTER_LOOP, "runner-registration", *arguments],
                env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def write_secret(self, name: str, value: str) -> None:
        """As the kubelet updates a mounted Secret: the new content appears at once, never half written."""
        staged = self.secrets / f".{name}.new"
        staged.write_text(value)
        staged.replace(self.secrets / name)

    def calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def wait_for(self, what: str, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the loop exited: {self.output.read_text()}"
            if done(calls := self.calls()):
                return calls
            time.sleep(0.02)
        raise AssertionError(f"{what} did not happen within {DEADLINE}s; calls: {self.calls()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=DEADLINE)


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[Loop]:
    running = Loop(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_it_retries_until_forgejo_cli_succeeds_and_registers_each_group_once(loop: Loop) -> None:
    calls = loop.wait_for("both groups registered", lambda calls: len([c for c in calls if not c["failed"]]) == 2)

    a = register_args("a", "", loop.secrets / "a")
    b = register_args("b", "forgejo_admin/mcp", loop.secrets / "b")
    # Pass 1 fails for both; pass 2 fails for a and registers b; pass 3 registers a only (b is done).
    assert [(c["args"], c["secret"], c["failed"]) for c in calls] == [
        (a, SECRET_A, True),
        (b, SECRET_B, True),
        (a, SECRET_A, True),
        (b, SECRET_B, False),
        (a, SECRET_A, False),
    ]
    time.sleep(10 * float(INTERVAL))  # ten more passes: nothing changed, so nothing is registered again
    assert len(loop.calls()) == len(calls)
    output = loop.output.read_text()
    assert "runner a registered (scope: the whole instance)" in output
    assert "runner b registered (scope: forgejo_admin/mcp)" in output
    assert f"retrying in {INTERVAL}s" in output


def test_a_changed_secret_file_registers_that_group_again(loop: Loop) -> None:
    before = len(loop.wait_for("both groups registered", lambda calls: len(calls) == FAILING_CALLS + 2))

    loop.write_secret("b", ROTATED_B)
    calls = loop.wait_for("b registered again", lambda calls: len(calls) > before)
    time.sleep(10 * float(INTERVAL))

    assert loop.calls()[before:] == [
        {"args": register_args("b", "forgejo_admin/mcp", loop.secrets / "b"), "secret": ROTATED_B, "failed": False}
    ]
    assert len(calls) == before + 1


def test_the_loop_passes_shellcheck_as_posix_sh() -> None:
    result = subprocess.run(
        [shellcheck_binary(), "-s", "sh", "-"], input=REGISTER_LOOP, capture_output=True, text=True, check=False
    )

    assert (result.returncode, result.stdout) == (0, "")


def test_shellcheck_finds_what_it_should_in_a_loop_text() -> None:
    """The check above is not vacuous: an unquoted expansion in the same script is reported."""
    broken = REGISTER_LOOP.replace('--secret-file "$3"', "--secret-file $3")
    result = subprocess.run(
        [shellcheck_binary(), "-s", "sh", "-"], input=broken, capture_output=True, text=True, check=False
    )

    assert result.returncode == 1
    assert "SC2086" in result.stdout
