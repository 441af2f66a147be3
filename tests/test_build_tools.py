"""The e2e tools script: wrapper modules made right, tools on PATH taken as they are, failures named."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.e2e.tools import build_tools
from tests.e2e.tools.build_tools import Tool, wrapper_go_mod

UPSTREAM = """\
module github.com/example/tool/pkg/v3

go 1.26.6

godebug x509negativeserial=1

replace github.com/example/tool/sdk/v3 => ../sdk

replace (
	github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
	github.com/example/tool/fence => ./FORBIDDEN_DEPENDENCY // nobody may import it
)

require (
	github.com/example/tool/sdk/v3 v3.0.0 // indirect
	github.com/atotto/clipboard v0.1.4
)
"""
TOOL = Tool(
    name="example",
    version="v3.1.2",
    module="github.com/example/tool/pkg/v3",
    module_version="v3.1.2",
    packages={"example": "github.com/example/tool/pkg/v3/cmd/example"},
    version_command=("version",),
)


def test_relative_replaces_become_the_published_sibling_at_the_pinned_version() -> None:
    go_mod = wrapper_go_mod(TOOL, UPSTREAM)

    assert go_mod.splitlines() == [
        "module goldentooth.invalid/tools/example",
        "",
        "go 1.26.6",
        "",
        "godebug x509negativeserial=1",
        "require github.com/example/tool/pkg/v3 v3.1.2",
        "",
        "replace github.com/example/tool/sdk/v3 => github.com/example/tool/sdk/v3 v3.1.2",
        "replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
    ]


def test_staging_modules_take_the_sibling_version() -> None:
    kubernetes = next(tool for tool in build_tools.TOOLS if tool.name == "kubernetes")
    upstream = "module k8s.io/kubernetes\nrequire k8s.io/api v0.0.0\nreplace k8s.io/api => ./staging/src/k8s.io/api\n"

    assert "replace k8s.io/api => k8s.io/api v0.37.2" in wrapper_go_mod(kubernetes, upstream)


def _executable(path: Path, script: str) -> None:
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_a_tool_on_path_at_the_pinned_version_is_used_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ambient = tmp_path / "ambient"
    ambient.mkdir()
    _executable(ambient / "example", "echo 'example version v3.1.2'")
    monkeypatch.setenv("PATH", f"{ambient}{os.pathsep}{os.environ['PATH']}")

    assert build_tools._on_path(TOOL) == {"example": ambient / "example"}


def test_a_tool_on_path_at_another_version_is_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ambient = tmp_path / "ambient"
    ambient.mkdir()
    _executable(ambient / "example", "echo 'example version v3.1.20'")
    monkeypatch.setenv("PATH", f"{ambient}{os.pathsep}{os.environ['PATH']}")

    assert build_tools._on_path(TOOL) is None


def test_a_failed_build_names_the_tool_its_version_and_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_go = tmp_path / "go-bin"
    fake_go.mkdir()
    _executable(fake_go / "go", "echo 'go: module lookup disabled' >&2; exit 1")
    monkeypatch.setenv("PATH", f"{fake_go}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setattr(build_tools, "TOOLS", (TOOL,))
    monkeypatch.setattr(build_tools, "SHIMS", ())

    returncode = build_tools.main(["--cache", str(tmp_path / "cache")])

    log = tmp_path / "cache" / "logs" / "example-v3.1.2.log"
    printed = capsys.readouterr()
    assert returncode == 1
    assert "FAILED: example v3.1.2 did not build" in printed.err
    assert f"; see {log}" in printed.err
    assert "go: module lookup disabled" in log.read_text()
    assert printed.out.splitlines()[-1] == str(tmp_path / "cache")
