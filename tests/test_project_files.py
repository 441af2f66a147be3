"""Pulumi.yaml and the goldentooth stack file, checked against Pulumi's schema and the loader."""

from __future__ import annotations

import jsonschema
import pytest

from components import config
from tests import reference
from tests.program import GENERATED_SECRET, run_program
from tests.stack import PROJECT, goldentooth_config, is_encrypted, project_file, stack_file

PROJECT_SCHEMA = reference.load_json("pulumi-project.schema.json")


def test_project_file_matches_pulumis_schema() -> None:
    jsonschema.validate(project_file(), PROJECT_SCHEMA)


def test_project_runs_python_in_a_virtualenv() -> None:
    assert project_file()["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


@pytest.mark.parametrize("key", sorted(project_file()["config"]))
def test_every_key_is_declared_with_type_and_description(key: str) -> None:
    declaration = project_file()["config"][key]

    assert declaration["type"] in ("string", "integer", "boolean", "array", "object")
    assert len(declaration["description"]) > 20
    assert "secret" not in declaration, "secret keys cannot have defaults; read them with get_secret instead"


def test_loader_reads_exactly_the_declared_keys() -> None:
    # The loader reports a key it reads but cannot find ("is not set") and a
    # key it finds but never reads ("is not a setting"), so a clean parse of
    # exactly the declared keys proves the two lists agree.
    declared = set(project_file()["config"])
    # Secret overrides are read but not declared (the CLI refuses a default on a secret key).
    stack_keys = {key.split(":", 1)[1] for key in stack_file()["config"]} - set(config.OPTIONAL_SECRET_KEYS)

    assert stack_keys <= declared
    assert set(goldentooth_config()) == declared
    config.parse_settings(goldentooth_config())


def test_an_undeclared_key_the_loader_reads_would_be_reported() -> None:
    raw = goldentooth_config()
    del raw["servicePort"]

    with pytest.raises(config.ConfigError, match="servicePort: is not set"):
        config.parse_settings(raw)


def test_required_keys_are_set_by_the_goldentooth_stack() -> None:
    required = {key for key, declaration in project_file()["config"].items() if "default" not in declaration}
    stack_keys = {key.split(":", 1)[1] for key in stack_file()["config"]}

    assert required == {"hostname", "adminEmail", "gateway"}
    assert required <= stack_keys


def test_goldentooth_stack_holds_no_secret_in_plain_text() -> None:
    """Following the README adds `encryptionsalt:` (stack creation) and `secure:` values (`config set --secret`);
    both are ordinary and may be committed. A secret key with a plain value may not."""
    values = stack_file()["config"]
    secret_keys = {f"{PROJECT}:{key}" for key in config.OPTIONAL_SECRET_KEYS}

    assert {key for key in secret_keys & set(values) if not is_encrypted(values[key])} == set()


def test_the_goldentooth_stack_previews_with_no_secret_set() -> None:
    """Every secret is generated: with the stack file's encrypted values left out, nothing is missing."""
    run = run_program()

    assert sorted(r.name for r in run.of_type(GENERATED_SECRET)) == [
        "forgejo-admin-password",
        "forgejo-runner-amd64-runner-secret",
        "forgejo-runner-secret",
    ]
