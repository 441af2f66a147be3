"""The README stays true to the project: its test command, its keys, its outputs."""

from __future__ import annotations

import re

from tests.stack import ROOT, project_file

README = (ROOT / "README.md").read_text()


def _fenced_commands() -> list[str]:
    return [line for block in re.findall(r"```sh\n(.*?)```", README, re.S) for line in block.splitlines()]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]

    assert ci_command in _fenced_commands()
    assert ci_command.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert "tests/e2e/tools/build_tools.py" in ci_command


def test_the_unit_tier_command_is_the_readmes_and_leaves_out_only_the_e2e_tier() -> None:
    unit_command = (ROOT / ".ci" / "unit").read_text().strip().splitlines()[-1]
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]

    assert unit_command in _fenced_commands()
    assert unit_command == ci_command.replace(
        " && python3 tests/e2e/tools/build_tools.py && .venv/bin/pytest", ' && .venv/bin/pytest -m "not e2e"'
    )


def test_readme_main_job_previews_and_updates_the_goldentooth_stack() -> None:
    main_job = next(line for line in _fenced_commands() if line.startswith("pulumi login"))

    assert "pulumi login --local" in main_job
    assert main_job.endswith("pulumi up --stack goldentooth")


def test_every_config_key_is_documented() -> None:
    undocumented = [key for key in project_file()["config"] if f"| `{key}` |" not in README]

    assert undocumented == []


def _row(key: str) -> str:
    """The key's row in the configuration tables (they come before the outputs table, which shares some names)."""
    return next(line for line in README.splitlines() if line.startswith(f"| `{key}` |"))


def test_documented_defaults_match_the_project_file() -> None:
    wrong = []
    for key, declaration in project_file()["config"].items():
        row = _row(key)
        if "default" not in declaration:
            expected = "required"
        elif isinstance(declaration["default"], bool):
            expected = f"`{str(declaration['default']).lower()}`"
        elif isinstance(declaration["default"], str | int):
            expected = f"`{declaration['default']}`" if declaration["default"] != "" else '`""`'
        else:
            continue  # structured defaults are described in words
        if expected not in row:
            wrong.append((key, expected))

    assert wrong == []


def test_documented_types_match_the_project_file() -> None:
    wrong = [
        key for key, declaration in project_file()["config"].items() if f"| {declaration['type']} |" not in _row(key)
    ]

    assert wrong == []
