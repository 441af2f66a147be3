#!/usr/bin/env python3
"""Find or build the pinned tools the e2e tier runs, and print the folder that holds them.

    python3 tests/e2e/tools/build_tools.py        # last line: the tools folder; its bin/ goes on PATH

Every tool is built from its Go module, because the machines that run this reach
the Go module proxy but no release download site. Each build happens in a
throwaway wrapper module, because ``go install pkg@version`` refuses modules
whose go.mod has ``replace`` directives: the wrapper requires the module at the
pinned version, copies its ``go`` and ``godebug`` lines and its replaces, and
turns each relative replace (``../sdk``, ``./staging/src/k8s.io/api``) into the
published module at the matching version.

The results go to a cache folder outside the repository (``$GOLDENTOOTH_TOOLS_CACHE``,
default ``~/.cache/goldentooth-forgejo-tools``), one folder per tool and
version, so a warm run only checks that they are there. ``bin/`` in it links
every binary; a tool already on PATH at the pinned version is linked instead
of built. A failed build names the tool, its version and its log, and the
script exits non-zero after trying the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

PULUMI_VERSION = "v3.276.0"
# The Python SDK pin in requirements.txt must be this release: the plugin is registered under it.
KUBERNETES_PROVIDER_VERSION = "4.25.0"
KUBERNETES_VERSION = "v1.37.2"


@dataclass(frozen=True)
class Tool:
    """One pinned tool: the Go module it is built from and the binaries it yields."""

    name: str
    version: str
    module: str
    module_version: str
    packages: dict[str, str]
    """Binary name -> main package import path (or "." for a main package of our own, under ``source``)."""
    sibling_version: str = ""
    """Version of the published modules that stand for the module's relative replaces (default: module_version)."""
    ldflags: str = ""
    version_command: tuple[str, ...] = ()
    """Arguments that make the first binary print its version; empty: never taken from PATH."""
    source: str = ""
    """A folder beside this script holding our own main package, built against ``module``."""
    prepare: Callable[[Path, Path], None] | None = field(default=None, compare=False)
    """Writes generated files into the wrapper folder, given it and the module's own folder."""
    plugin: bool = False
    """A resource provider: kept out of ``bin/`` and registered with ``pulumi plugin install`` from its folder."""
    data: tuple[str, ...] = ()
    """Files of the module (paths inside it) kept beside the binaries, for the tests that run them."""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


def _kubernetes_provider_embeds(wrapper: Path, module_dir: Path) -> None:
    """The provider's main embeds files its release build generates and git ignores, so module zips lack them.

    Generated the way the provider's own ``go generate`` step does it: the
    committed schema with its version set, and the committed mapping as compact JSON.
    """
    cmd = module_dir / "cmd" / "pulumi-resource-kubernetes"
    schema = json.loads((cmd / "schema.json").read_text())
    schema["version"] = KUBERNETES_PROVIDER_VERSION
    (wrapper / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
    mapping = json.loads((cmd / "terraform-mapping.json").read_text())
    (wrapper / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))


def _kube_ldflags(version: str) -> str:
    major, minor, _ = version.removeprefix("v").split(".")
    # Without these /version says v0.0.0-master, which fails Helm's kubeVersion checks.
    return " ".join(
        f"-X k8s.io/component-base/version.{name}={value}"
        for name, value in (
            ("gitVersion", version),
            ("gitMajor", major),
            ("gitMinor", minor),
            ("gitTreeState", "clean"),
        )
    )


TOOLS = (
    Tool(
        name="helm",
        version="v3.22.0",
        module="helm.sh/helm/v3",
        module_version="v3.22.0",
        packages={"helm": "helm.sh/helm/v3/cmd/helm"},
        ldflags="-X helm.sh/helm/v3/internal/version.version=v3.22.0",
        version_command=("version", "--template", "{{.Version}}"),
    ),
    Tool(
        name="etcd",
        version="v3.6.16",
        module="go.etcd.io/etcd/server/v3",
        module_version="v3.6.16",
        packages={"etcd": "go.etcd.io/etcd/server/v3"},
        version_command=("--version",),
    ),
    Tool(
        name="kubernetes",
        version=KUBERNETES_VERSION,
        module="k8s.io/kubernetes",
        module_version=KUBERNETES_VERSION,
        # Built together, so the packages they share compile once.
        packages={
            binary: f"k8s.io/kubernetes/cmd/{binary}"
            for binary in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
        },
        # Its staging modules (k8s.io/api, ...) are published as v0.<minor>.<patch>.
        sibling_version="v0" + KUBERNETES_VERSION.removeprefix("v1"),
        ldflags=_kube_ldflags(KUBERNETES_VERSION),
        version_command=("--version",),
    ),
    Tool(
        name="kwok",
        version="v0.8.0",
        module="sigs.k8s.io/kwok",
        module_version="v0.8.0",
        packages={"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
        ldflags="-X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0",
        version_command=("--version",),
        # kwok does nothing without Stages; these are its "fast" set, as kwokctl runs it.
        data=tuple(
            f"kustomize/stage/{stage}.yaml"
            for stage in (
                "node/fast/node-initialize",
                "node/heartbeat-with-lease/node-heartbeat-with-lease",
                "pod/fast/pod-ready",
                "pod/fast/pod-complete",
                "pod/fast/pod-delete",
            )
        ),
    ),
    Tool(
        name="pulumi",
        version=PULUMI_VERSION,
        module="github.com/pulumi/pulumi/pkg/v3",
        module_version=PULUMI_VERSION,
        packages={"pulumi": "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"},
        ldflags=f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}",
        version_command=("version",),
    ),
    # The real Python language host's module is not served by the module proxy,
    # so this project carries its own, built on the SDK release the CLI is.
    Tool(
        name="pulumi-language-python",
        version=PULUMI_VERSION,
        module="github.com/pulumi/pulumi/sdk/v3",
        module_version=PULUMI_VERSION,
        packages={"pulumi-language-python": "."},
        ldflags=f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}",
        source="pulumi-language-python",
    ),
    Tool(
        name="pulumi-resource-kubernetes",
        version=KUBERNETES_PROVIDER_VERSION,
        module="github.com/pulumi/pulumi-kubernetes/provider/v4",
        # The provider module has no semver tags: this is the v4.25.0 release commit.
        module_version="v4.0.0-20260115033456-f47bc2d6f199",
        packages={"pulumi-resource-kubernetes": "."},
        sibling_version="v" + KUBERNETES_PROVIDER_VERSION,
        ldflags=(
            "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=" + KUBERNETES_PROVIDER_VERSION
        ),
        source="pulumi-resource-kubernetes",
        prepare=_kubernetes_provider_embeds,
        plugin=True,
    ),
)

# Scripts the CLI distribution ships beside its binaries; ours are written here and copied as they are.
SHIMS = ("pulumi-language-python-exec", "pulumi-resource-pulumi-python")


def _go(args: list[str], cwd: Path, log: Path) -> None:
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod -buildvcs=false"}
    with log.open("a") as out:
        out.write(f"$ go {' '.join(args)}\n")
        out.flush()
        subprocess.run(["go", *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)


def _module_info(tool: Tool, cwd: Path, log: Path) -> dict[str, str]:
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    result = subprocess.run(
        ["go", "mod", "download", "-json", f"{tool.module}@{tool.module_version}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    with log.open("a") as out:
        out.write(result.stdout + result.stderr)
    info: dict[str, str] = json.loads(result.stdout) if result.stdout.strip() else {}
    if result.returncode != 0 or "Error" in info:
        raise subprocess.CalledProcessError(result.returncode or 1, "go mod download", info.get("Error", ""))
    return info


def _directives(go_mod: str) -> tuple[str, list[str], list[str], set[str]]:
    """A go.mod's ``go`` version, ``godebug`` and ``replace`` lines (blocks flattened), and the modules it requires."""
    go_version = ""
    godebug: list[str] = []
    replaces: list[str] = []
    required: set[str] = set()
    block = ""
    for raw in go_mod.splitlines():
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = ""
            elif block == "replace":
                replaces.append(line)
            elif block == "godebug":
                godebug.append(line)
            elif block == "require":
                required.add(line.split()[0])
            continue
        word, _, rest = line.partition(" ")
        if rest == "(":
            block = word
        elif word == "go":
            go_version = rest
        elif word == "replace":
            replaces.append(rest)
        elif word == "godebug":
            godebug.append(rest)
        elif word == "require":
            required.add(rest.split()[0])
    return go_version, godebug, replaces, required


def wrapper_go_mod(tool: Tool, upstream_go_mod: str) -> str:
    """The wrapper module's go.mod: the pinned requirement plus the upstream's replaces, relative ones published."""
    go_version, godebug, replaces, required = _directives(upstream_go_mod)
    lines = [f"module goldentooth.invalid/tools/{tool.name}", "", f"go {go_version}", ""]
    lines += [f"godebug {line}" for line in godebug]
    lines += [f"require {tool.module} {tool.module_version}", ""]
    for replace in replaces:
        old, _, new = (part.strip() for part in replace.partition("=>"))
        if new.startswith("."):
            old_path = old.split()[0]
            if old_path not in required:
                # Fences such as etcd's `go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY`: nothing to publish.
                continue
            # Only the main module's replaces apply, so the module's siblings come from the proxy.
            new = f"{old_path} {tool.sibling_version or tool.module_version}"
        lines.append(f"replace {old} => {new}")
    return "\n".join(lines) + "\n"


def _build(tool: Tool, target: Path, log: Path) -> None:
    with tempfile.TemporaryDirectory(prefix=f"{tool.key}-") as scratch:
        wrapper = Path(scratch)
        (wrapper / "go.mod").write_text(f"module goldentooth.invalid/tools/{tool.name}\n\ngo 1.21\n")
        info = _module_info(tool, wrapper, log)
        go_mod = wrapper_go_mod(tool, Path(info["GoMod"]).read_text())
        (wrapper / "go.mod").write_text(go_mod)
        with log.open("a") as out:
            out.write(go_mod)
        if tool.source:
            for path in (HERE / tool.source).iterdir():
                shutil.copy2(path, wrapper / path.name)
        else:
            # Keeps the requirement on the module while `go build` resolves the rest.
            imports = "\n".join(f'import _ "{package}"' for package in tool.packages.values())
            (wrapper / "tools.go").write_text(f"//go:build tools\n\npackage tools\n\n{imports}\n")
        if tool.prepare is not None:
            tool.prepare(wrapper, Path(info["Dir"]))
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for data in tool.data:
            shutil.copy2(Path(info["Dir"]) / data, staging / Path(data).name)
        flags = ["-trimpath", "-ldflags", tool.ldflags] if tool.ldflags else ["-trimpath"]
        packages = list(tool.packages.values())
        if len(packages) == 1:
            _go(["build", *flags, "-o", str(staging / next(iter(tool.packages))), packages[0]], wrapper, log)
        else:
            # `-o <dir>` names each binary after its package's last element, which is the binary name here.
            _go(["build", *flags, "-o", str(staging) + os.sep, *packages], wrapper, log)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)


def _on_path(tool: Tool) -> dict[str, Path] | None:
    """The tool's binaries from PATH, if every one is there and the first says it is the pinned version."""
    if not tool.version_command:
        return None
    found = {binary: shutil.which(binary) for binary in tool.packages}
    if not all(found.values()):
        return None
    first = str(found[next(iter(tool.packages))])
    try:
        result = subprocess.run([first, *tool.version_command], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = (result.stdout + result.stderr).replace(",", " ").split()
    wanted = {tool.version, tool.version.removeprefix("v")}
    return {binary: Path(str(path)) for binary, path in found.items()} if wanted & set(words) else None


def _link(bin_dir: Path, binary: str, path: Path) -> None:
    """A hard link, not a symlink: the CLI looks for its language host and shims beside its own resolved path."""
    link = bin_dir / binary
    if link.is_symlink() or link.exists():
        link.unlink()
    try:
        os.link(path.resolve(), link)
    except OSError:  # another file system
        shutil.copy2(path, link)


def tool_folder(cache: Path, name: str) -> Path:
    """The folder of the tool ``name`` (its binaries and data files)."""
    return cache / next(tool.key for tool in TOOLS if tool.name == name)


def plugin_binary(cache: Path, name: str) -> Path:
    """Where the provider plugin ``name`` (e.g. "pulumi-resource-kubernetes") was built, to register it from."""
    tool = next(tool for tool in TOOLS if tool.plugin and name in tool.packages)
    return cache / tool.key / name


def default_cache() -> Path:
    override = os.environ.get("GOLDENTOOTH_TOOLS_CACHE")
    if override:
        return Path(override).expanduser().resolve()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "goldentooth-forgejo-tools"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=default_cache(), help="tools folder (default: %(default)s)")
    parser.add_argument("--only", action="append", default=[], help="build only this tool (repeatable)")
    args = parser.parse_args(argv)
    cache: Path = args.cache
    bin_dir, logs = cache / "bin", cache / "logs"
    bin_dir.mkdir(parents=True, exist_ok=True)
    logs.mkdir(exist_ok=True)
    if shutil.which("go") is None:
        print("go is not on PATH: the tools are built from their Go modules (Go 1.26 or newer)", file=sys.stderr)
        return 2

    failed: list[str] = []
    started = time.monotonic()
    for tool in TOOLS:
        if args.only and tool.name not in args.only:
            continue
        target = cache / tool.key
        ambient = _on_path(tool)
        if ambient is not None and all(path.parent != bin_dir for path in ambient.values()):
            for binary, path in ambient.items():
                _link(bin_dir, binary, path)
            print(f"{tool.key}: using {', '.join(str(path) for path in ambient.values())}")
            continue
        wanted = [*tool.packages, *(Path(data).name for data in tool.data)]
        if not all((target / name).is_file() for name in wanted):
            log = logs / f"{tool.key}.log"
            log.write_text("")
            print(f"{tool.key}: building (log: {log})", flush=True)
            began = time.monotonic()
            try:
                _build(tool, target, log)
            except (subprocess.CalledProcessError, OSError, KeyError, ValueError) as error:
                print(f"FAILED: {tool.name} {tool.version} did not build ({error}); see {log}", file=sys.stderr)
                failed.append(tool.key)
                continue
            print(f"{tool.key}: built in {time.monotonic() - began:.0f} s")
        if not tool.plugin:
            for binary in tool.packages:
                _link(bin_dir, binary, target / binary)
    for shim in SHIMS:
        (bin_dir / shim).unlink(missing_ok=True)
        shutil.copy2(HERE / "shims" / shim, bin_dir / shim)
    print(f"tools ready in {time.monotonic() - started:.0f} s" if not failed else f"failed: {' '.join(failed)}")
    print(cache)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
