"""The consumer programs in examples/: stack outputs as a contract.

Each example runs under Pulumi mocks, its StackReference answered with what
the real program exports (``tests.program.run_program()``), secret outputs
marked secret. So an output the examples read cannot be renamed or reshaped
without a test here failing. Each example's ``__main__.py`` is run with
runpy as ``__main__``; its logic lives in a uniquely named module next to it,
which is imported from the example's directory and dropped again, so nothing
collides with the main program's ``__main__`` or with each other.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pulumi
import pytest
import yaml
from pulumi.runtime import settings as runtime_settings

from tests import reference
from tests.manifests import validate
from tests.program import ProgramRun, run_program
from tests.stack import ROOT, STACK

EXAMPLES = ROOT / "examples"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
FORGEJO_STACK = "organization/goldentooth-forgejo/goldentooth"
PROJECT_SCHEMA = reference.load_json("pulumi-project.schema.json")
GATEWAY_NAMES = ["goldentooth.net", "grafana.goldentooth.net"]


@dataclass
class ExampleRun:
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    stack_references: list[str] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)


class ExampleMocks(pulumi.runtime.Mocks):
    """Answers StackReferences with the producer's outputs; records everything else."""

    def __init__(self, run: ExampleRun, outputs: dict[str, Any], secret_outputs: set[str]) -> None:
        self.run = run
        self.outputs = outputs
        self.secret_outputs = secret_outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            self.run.stack_references.append(args.name)
            return args.name, {
                "name": args.name,
                "outputs": self.outputs,
                "secretOutputNames": sorted(self.secret_outputs),
            }
        self.run.resources[(args.typ, args.name)] = dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def project(example: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / example / "Pulumi.yaml").read_text())


def example_config(example: str, overrides: dict[str, Any]) -> dict[str, str]:
    """What the CLI hands the program: declared defaults overlaid with the stack's values, all as strings."""
    values = {key: decl["default"] for key, decl in project(example)["config"].items() if "default" in decl}
    values.update(overrides)
    name = project(example)["name"]
    return {f"{name}:{key}": value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def run_example(example: str, config: dict[str, Any], producer: ProgramRun) -> ExampleRun:
    directory = EXAMPLES / example
    module = directory.name.replace("-", "_")
    run = ExampleRun()
    pulumi.runtime.set_all_config(example_config(example, config), [])
    runtime_settings.ROOT.set(None)  # a fresh Stack: the main program's exports must not leak in
    mocks = ExampleMocks(run, producer.exports, producer.secret_exports)
    pulumi.runtime.set_mocks(mocks, project=project(example)["name"], stack=STACK, preview=False)

    @pulumi.runtime.test
    def program() -> None:
        sys.path.insert(0, str(directory))
        try:
            runpy.run_path(str(directory / "__main__.py"), run_name="__main__")
        finally:
            sys.path.remove(str(directory))
            sys.modules.pop(module, None)

    program()

    @pulumi.runtime.test
    async def collect() -> None:
        root = runtime_settings.get_root_resource()
        assert root is not None
        for key, output in root.outputs.items():  # type: ignore[attr-defined]
            run.exports[key] = await pulumi.Output.from_input(output).future()

    collect()
    return run


@pytest.fixture(scope="module")
def forgejo() -> ProgramRun:
    return run_program()


@pytest.mark.parametrize("example", ["gateway-certificate", "forgejo-endpoint"])
def test_example_project_matches_pulumis_schema(example: str) -> None:
    declared = project(example)

    jsonschema.validate(declared, PROJECT_SCHEMA)
    assert declared["name"] == example
    assert declared["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert declared["config"]["forgejoStack"]["default"] == FORGEJO_STACK
    assert (EXAMPLES / example / "requirements.txt").read_text().splitlines() == [
        "pulumi==3.272.0",
        "pulumi-kubernetes==4.34.2",
    ]


# ---------------------------------------------------------------- gateway certificate


def test_gateway_certificate_covers_its_names_and_forgejos(forgejo: ProgramRun) -> None:
    run = run_example("gateway-certificate", {"dnsNames": GATEWAY_NAMES}, forgejo)

    assert run.stack_references == [FORGEJO_STACK]
    certificate = run.resources[(CERTIFICATE, "gateway-certificate")]
    assert certificate == {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "goldentooth-gateway", "namespace": "gateway"},
        "spec": {
            "secretName": "goldentooth-gateway-tls",
            "issuerRef": {"name": "step-ca", "kind": "StepClusterIssuer", "group": "certmanager.step.sm"},
            "subject": {"organizations": ["Goldentooth"]},
            "duration": "24h",
            "renewBefore": "8h",
            "dnsNames": ["goldentooth.net", "grafana.goldentooth.net", "git.goldentooth.net"],
        },
    }
    validate(certificate)
    assert run.exports == {"dns_names": ["goldentooth.net", "grafana.goldentooth.net", "git.goldentooth.net"]}


def test_gateway_certificate_lists_a_name_both_stacks_have_once(forgejo: ProgramRun) -> None:
    own = ["git.goldentooth.net", "goldentooth.net", "git.goldentooth.net"]

    run = run_example("gateway-certificate", {"dnsNames": own}, forgejo)

    assert run.resources[(CERTIFICATE, "gateway-certificate")]["spec"]["dnsNames"] == [
        "git.goldentooth.net",
        "goldentooth.net",
    ]


def test_gateway_certificate_reads_the_stack_named_in_its_config(forgejo: ProgramRun) -> None:
    other = "organization/goldentooth-forgejo/staging"

    run = run_example("gateway-certificate", {"dnsNames": GATEWAY_NAMES, "forgejoStack": other}, forgejo)

    assert run.stack_references == [other]


def test_gateway_certificate_keeps_its_own_names_when_forgejo_publishes_none() -> None:
    external = run_program({"tlsMode": "external"})

    run = run_example("gateway-certificate", {"dnsNames": GATEWAY_NAMES}, external)

    assert run.resources[(CERTIFICATE, "gateway-certificate")]["spec"]["dnsNames"] == GATEWAY_NAMES


def test_gateway_certificate_fails_when_the_output_is_gone() -> None:
    # In a child process: the aborted run leaves futures behind that would only add noise here.
    script = (
        "from tests.program import ProgramRun\n"
        "from tests.test_examples import run_example\n"
        "producer = ProgramRun(resources=[], exports={'internal_url': 'http://forgejo-http'})\n"
        "try:\n"
        "    run_example('gateway-certificate', {'dnsNames': ['goldentooth.net']}, producer)\n"
        "except Exception as error:\n"
        "    print(f'{type(error).__name__}: {error}', flush=True)\n"
    )

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.stdout.splitlines() == ["KeyError: 'tls_dns_names'"], result.stderr


# ---------------------------------------------------------------- forgejo endpoint


def test_endpoint_config_map_holds_the_in_cluster_url(forgejo: ProgramRun) -> None:
    run = run_example("forgejo-endpoint", {"namespace": "mcp"}, forgejo)

    assert run.stack_references == [FORGEJO_STACK]
    config_map = run.resources[(CONFIG_MAP, "forgejo-endpoint")]
    assert config_map == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "forgejo-endpoint", "namespace": "mcp"},
        "data": {"FORGEJO_URL": "http://forgejo-http.forgejo.svc.cluster.local:3000"},
    }
    validate(config_map)
    assert run.exports == {"forgejo_internal_url": "http://forgejo-http.forgejo.svc.cluster.local:3000"}


def test_endpoint_follows_the_chart_service_name(forgejo: ProgramRun) -> None:
    renamed = run_program({"fullnameOverride": "git"})

    run = run_example("forgejo-endpoint", {}, renamed)

    assert run.resources[(CONFIG_MAP, "forgejo-endpoint")]["data"] == {
        "FORGEJO_URL": "http://git-http.forgejo.svc.cluster.local:3000"
    }


def test_examples_leave_no_module_behind(forgejo: ProgramRun) -> None:
    run_example("forgejo-endpoint", {}, forgejo)
    run_example("gateway-certificate", {"dnsNames": GATEWAY_NAMES}, forgejo)

    assert {"forgejo_endpoint", "gateway_certificate"} & set(sys.modules) == set()
    assert [path for path in sys.path if path.startswith(str(EXAMPLES))] == []
