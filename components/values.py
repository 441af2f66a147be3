"""The settings models' base, their error wording, and value types with the rule of the tool that would refuse them.

A rule returns the reason a value is refused, or None; the loader prefixes the Pulumi key. Reasons never repeat a
value that may be a secret. Patterns are whole-string matches with ASCII classes: a search with ``$`` lets
"forgejo\\n" through, and ``\\d`` takes any Unicode digit.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import re
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, WrapValidator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components import naming
from components.durations import parse_duration

LARGEST_NODE_CPU = 16  # goldentooth's largest node (velaryon); the Pi 5s have 4
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default")
# Forgejo's reserved user names and patterns (models/user/user.go IsUsableUsername), compared in lower case.
_RESERVED = ". .. - .well-known api metrics v2 assets attachments avatar avatars repo-avatars captcha login org repo "
RESERVED_USERNAMES = frozenset(
    (_RESERVED + "user admin explore issues pulls milestones notifications report_abuse favicon.ico manifest.json "
     "robots.txt sitemap.xml ssh_info swagger.v1.json ghost gitea-actions forgejo-actions").split()
)  # fmt: skip
RESERVED_USERNAME_SUFFIXES = (".keys", ".gpg", ".rss", ".atom", ".png")
_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*"
_SUBDOMAIN = rf"(?=.{{1,253}}$){_DOMAIN}"
_REPOSITORY = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
_IMAGE = re.compile(
    rf"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?/)?{_REPOSITORY}(?::(?P<tag>\w[\w.-]{{0,127}}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?",
    re.ASCII,
)
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE]\d{1,2})?", re.ASCII)
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_GIT_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^/|/$|\.$|^@$|(?:^|/)\.|\.lock(?:/|$)")


class Model(BaseModel):
    """Settings as Pulumi config writes them: camelCase keys, no unknown keys, no type coercion ("yes" is no bool)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, alias_generator=to_camel,
                              validate_by_name=True, validate_by_alias=True)  # fmt: skip


def key_path(loc: tuple[str | int, ...]) -> str:  # ("mirrors", 0, "interval") -> mirrors[0].interval
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _field_at(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> tuple[type[BaseModel] | None, Any]:
    field = None
    for part in (part for part in loc if isinstance(part, str)):
        field = next((f for name, f in (model.model_fields if model else {}).items() if part in (name, f.alias)), None)
        types = [field.annotation, *get_args(field.annotation)] if field else []
        types += [inner for t in types for inner in get_args(t)]
        model = next((t for t in types if isinstance(t, type) and issubclass(t, BaseModel)), None)
    return model, field


_WORDING = {
    "bool": "{value!r} is not true or false",
    "int": "{value!r} is not a whole number",
    "dict": "must be an object (a YAML mapping), got {kind}",
    "model": "must be an object (a YAML mapping), got {kind}",
    "list": "must be a list (a YAML sequence), got {kind}",
    "string": "must be a string, got {kind}",
}


def validation_problems(error: ValidationError, model: type[BaseModel]) -> list[tuple[str, str]]:
    """(key path, reason) for each of pydantic's errors, in this project's words. Only true/false and numbers are
    ever quoted, so a secret never is."""
    problems: list[tuple[str, str]] = []
    for detail in error.errors(include_url=False):
        loc = tuple(part for part in detail["loc"] if part != "[key]")
        kind, value, ctx = detail["type"], detail.get("input"), detail.get("ctx") or {}
        if kind == "refused":
            problems += [(key_path(loc + tuple(at)), reason) for at, reason in ctx["problems"]]
            continue
        reason = str(ctx["error"]) if kind == "value_error" else detail["msg"]
        if kind == "extra_forbidden":
            known = [f.alias or name for name, f in (_field_at(model, loc[:-1])[0] or model).model_fields.items()]
            close = difflib.get_close_matches(str(loc[0]), known, n=1)
            reason = f"is not a setting of this program{f'; did you mean {close[0]!r}?' if close else ''}"
            if len(loc) > 1:
                loc, reason = loc[:-1], f"unknown field {loc[-1]!r}; use {', '.join(known)}"
        elif kind == "missing":
            field = _field_at(model, loc)[1]
            reason = f"is required{f': {field.description}' if field and field.description else ''}"
            if len(loc) == 1:
                reason = "is not set (every key is declared in Pulumi.yaml; keys without a default are required)"
        elif kind.split("_")[0] in _WORDING:
            reason = _WORDING[kind.split("_")[0]].format(value=value, kind=type(value).__name__)
        problems.append((key_path(loc), reason))
    return problems


Problems = Sequence[tuple[tuple[str | int, ...], str]]  # found below the value being validated: (path under it, reason)


def refuse(problems: Problems) -> None:
    if problems:
        raise PydanticCustomError("refused", "{reason}", {"reason": problems[0][1], "problems": problems})


def repeats(keys: list[Any]) -> list[tuple[int, int]]:
    """(index, index of its first occurrence) of every key seen before; None is no key."""
    first: dict[Any, int] = {}
    return [(i, first[key]) for i, key in enumerate(keys) if key is not None and first.setdefault(key, i) != i]


def label_name(label: str) -> str:  # what `runs-on` matches, case-insensitively
    return label.partition(":")[0].lower()


def rule(reason: Callable[[Any], str | None]) -> AfterValidator:
    def validate(value: Any) -> Any:
        if why := reason(value):
            raise ValueError(why)
        return value

    return AfterValidator(validate)


def matching(pattern: str, reason: str) -> Callable[[str], str | None]:
    compiled = re.compile(pattern, re.ASCII)
    return lambda value: None if compiled.fullmatch(value) else reason.format(v=value)


def first(*reasons: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    return lambda value: next((why for reason in reasons if (why := reason(value))), None)


DNS_LABEL = matching(_LABEL, "{v!r} is not an RFC 1123 label: use at most 63 lower-case letters, digits and '-', "
                     "starting and ending with a letter or digit")  # fmt: skip
DNS_SUBDOMAIN = matching(_SUBDOMAIN, "{v!r} is not an RFC 1123 subdomain: use lower-case letters, digits, '-' and "
                         "'.', at most 253 characters")  # fmt: skip
FORGEJO_NAME = matching(
    r"(?=.{1,40}$)[0-9A-Za-z](?:[0-9A-Za-z]|[-._](?=[0-9A-Za-z]))*",  # IsValidUsername: no doubled or trailing -._
    "{v!r} is not a valid Forgejo user name: use at most 40 letters, digits, '-', '_' and '.', starting and ending "
    "with a letter or digit, without doubled '-', '_' or '.'",
)


def _hostname(value: str) -> str | None:
    """A fully qualified name an HTTPRoute accepts: no IP, no upper case, no wildcard (one ROOT_URL)."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(value)
        return f"{value!r} is an IP address; HTTPRoute hostnames must be DNS names"
    if re.fullmatch(_SUBDOMAIN, value) and "." in value:
        return None
    return (f"{value!r} is not a fully qualified RFC 1123 host name: use lower-case dot-separated labels of "
            "letters, digits and '-', such as 'git.example.net'")  # fmt: skip


def service_name_problem(release_name: str, fullname_override: str) -> str | None:
    name = naming.http_service_name(release_name, fullname_override)
    if re.fullmatch(_LABEL, name):
        return None
    if "." in name:
        return f"makes the chart's service name {name!r}, but a Service name cannot contain '.'; use one without dots"
    return f"makes the chart's service name {name!r} longer than a Kubernetes name allows (63); use a shorter name"


def _image_tag(version: str) -> str | None:
    # The server image is <version>-rootless: these would make a tag that does not exist.
    if "+" in version:
        return f"{version!r} has build metadata ('+'), which an image tag cannot carry; use e.g. '13.0.3'"
    if version.endswith("-rootless"):
        return f"{version!r} ends in '-rootless', which the program adds itself; use e.g. '13.0.3'"
    return None


def _reserved(name: str) -> str | None:
    if name.lower() not in RESERVED_USERNAMES and not name.lower().endswith(RESERVED_USERNAME_SUFFIXES):
        return None
    suffixes = ", ".join(RESERVED_USERNAME_SUFFIXES)
    return (f"{name!r} is reserved by Forgejo and refused by the chart's admin setup; choose e.g. 'forgejo_admin' "
            f"(Forgejo reserves its routes' names and names ending in {suffixes})")  # fmt: skip


def parse_quantity(value: str) -> int | None:
    """A Kubernetes quantity in billionths (nanocores, nanobytes), exactly as resource.ParseQuantity reads it
    (finer than a billionth rounds up, a binary suffix stops at 2^63-1 units); None if it is not one."""
    match = _QUANTITY.fullmatch(value)
    whole, _, fraction = match.group(1).partition(".") if match else ("", "", "")
    suffix = (match.group(2) or "") if match else ""
    binary = suffix.endswith("i")
    power = int(suffix[1:]) if suffix[1:].isdigit() else _DECIMAL_SUFFIXES.get(suffix, 0)
    if match is None or len(whole + fraction) > 40 or power > 40:  # no real cluster needs more digits
        return None
    scaled = int(whole + fraction) * (2 ** (10 * " KMGTPE".index(suffix[0])) if binary else 1)
    power += 9 - len(fraction)
    nanos = scaled * 10**power if power >= 0 else -(-scaled // 10**-power)
    return min(nanos, (2**63 - 1) * 10**9) if binary else nanos


def _quantity(floor: int, ceiling: int, refused: str) -> Callable[[str], str | None]:
    def reason(value: str) -> str | None:
        if (nanos := parse_quantity(value)) is None:
            return f"{value!r} is not a Kubernetes quantity such as '500m', '1', '256Mi' or '10Gi'"
        if nanos == 0:
            return f"{value!r} must be greater than zero"
        return None if floor <= nanos <= ceiling else refused.format(v=value)

    return reason


_BYTES = _quantity(2**20 * 10**9, 2**200, "{v!r} is less than 1Mi, which no volume or container can mean; write the "
                   "unit, such as '512Mi'")  # fmt: skip
_CPU = _quantity(1, LARGEST_NODE_CPU * 10**9, f"{{v!r}} is more CPU than any node has ({LARGEST_NODE_CPU}); did "
                 "you mean '{v}m'?")  # fmt: skip


def _image(value: str, *, exact: bool = False) -> str | None:
    match = _IMAGE.fullmatch(value)
    if match is None:
        return f"{value!r} is not an image reference such as 'code.forgejo.org/forgejo/runner:12.0.1'"
    tag, digest = match.group("tag"), match.group("digest")
    if digest:
        return None
    if not tag:
        return f"{value!r} has no tag; pin an exact one such as '{value}:1.2.3'"
    if tag == "latest":
        return f"{value!r} uses the moving tag 'latest'; pin an exact version"
    if exact and not re.fullmatch(r"v?\d+\.\d+\.\d+(?:[-._]\w[\w.-]*)?", tag, re.ASCII):
        return (f"{value!r} has the moving tag {tag!r}, which a new release moves; pin an exact version such as "
                "'28.3.0-dind' or '12.0.1', or a digest (@sha256:...)")  # fmt: skip
    if not re.search(r"[0-9]", tag, re.ASCII):  # a job image: a version, which may be a major one ('20-bookworm')
        return (f"{value!r} has the tag {tag!r}, which names no version and moves with every release (like 'lts' "
                "or 'stable'); pin a version such as 'node:20-bookworm' or a digest (@sha256:...)")  # fmt: skip
    return None


def _runner_label(value: str) -> str | None:
    match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*):(docker|lxc|host)(?:://(.+))?", value, re.ASCII)
    if match is None:
        return (f"{value!r} is not a runner label; use 'name:docker://image:tag' (e.g. "
                "'ubuntu-latest:docker://node:20-bookworm') or 'name:host'")  # fmt: skip
    scheme, target = match.group(2), match.group(3)
    if (scheme == "host") != (target is None):
        return f"{value!r}: a host label takes no '://…' part" if target else f"{value!r} names no {scheme} image"
    problem = _image(target) if scheme == "docker" else None
    return f"{value!r}: {problem}" if problem else None


def _runner_labels(labels: list[str]) -> list[str]:
    if not labels:
        raise ValueError("needs at least one label, e.g. 'ubuntu-latest:docker://node:20-bookworm'")
    refuse(
        [
            (
                (i,),
                f"names {labels[i].partition(':')[0]!r} again with "
                f"{'the same label' if labels[at] == labels[i] else 'another image'} (runnerLabels[{at}] has it "
                "already); give each label its own name",
            )
            for i, at in repeats([label_name(x) for x in labels])
        ]
    )
    return labels


_REPO_NAME = re.compile(r"[-.\w]{1,100}", re.ASCII)
_RESERVED_REPO_SUFFIXES = (".git", ".wiki", ".rss", ".atom")


def repo_name(value: str) -> str | None:
    """Forgejo's repository names (v13, models/repo/repo.go): AlphaDashDot, at most 100 characters, not reserved."""
    if len(value) > 100:
        return f"is {len(value)} characters long; Forgejo allows at most 100"
    if not _REPO_NAME.fullmatch(value):
        return f"{value!r} is not a repository name: use letters, digits, '-', '_' and '.'"
    if value.lower() in (".", "..", "-") or value.lower().endswith(_RESERVED_REPO_SUFFIXES):
        return f"{value!r} is reserved by Forgejo (not '.', '..', '-', nor ending in .git, .wiki, .rss, .atom)"
    return None


def _runner_scope(value: str) -> str | None:
    """What `forgejo-cli actions register --scope` takes: an owner (user or organisation) or owner/repository."""
    owner, slash, repo = value.partition("/")
    problem = first(_reserved, FORGEJO_NAME)(owner) or (repo_name(repo) if slash else None)
    return f"{value!r} is not a scope 'owner' or 'owner/repository': {problem}" if problem else None


def single_token(value: str) -> bool:
    # Non-empty, with no whitespace or control characters (a pasted newline, say).
    return bool(value) and value.isprintable() and not any(character.isspace() for character in value)


def _url(schemes: tuple[str, ...], what: str, credentials: str) -> Callable[[str], str | None]:
    """An address with a host; the value is never echoed before its user info is refused (it may hold a password)."""

    def reason(value: str) -> str | None:
        if not single_token(value):  # urlsplit would quietly drop tabs and newlines
            return f"is not {what}: it is empty, or contains whitespace or control characters"
        parts = urlsplit(value)
        if "@" in parts.netloc:
            return f"must not carry credentials (user info before '@'); {credentials}"
        try:
            port_ok = parts.port != 0
        except ValueError:
            port_ok = False
        if parts.scheme not in schemes or not parts.hostname:
            return f"is not {what}"
        if not port_ok:
            return f"is not {what}: its port is not a number from 1 to 65535"
        if not parts.hostname.isascii():
            return f"{value!r} has a non-ASCII host name, which can pass for another domain; write its xn-- form"
        return None

    return reason


def _cidr(value: str) -> str | None:
    """A NetworkPolicy ipBlock: a network with its prefix, written as the API server prints it back."""
    try:
        network = ipaddress.ip_network(value, strict=False) if "/" in value else None
    except ValueError:
        network = None
    if network is None:
        return f"{value!r} is not a CIDR block such as '10.4.11.0/24' or 'fd00::/8' (an address needs its /prefix)"
    if ipaddress.ip_interface(value).ip != network.network_address:
        return f"{value!r} has host bits set; the block it lies in is '{network}'"
    return None if str(network) == value else f"{value!r} is written unusually; write it as '{network}'"


def _registry_host(value: str) -> str | None:
    """host[:port], as images and /etc/docker/certs.d name a registry; user info is refused without echoing it."""
    if "@" in value:
        return "is not a registry host[:port]: it must not carry credentials (user info before '@')"
    if re.fullmatch(_DOMAIN + r"(?::[0-9]{1,5})?", value, re.ASCII) and 0 < int(value.partition(":")[2] or 1) < 65536:
        return None
    return f"{value!r} is not a registry host[:port] such as 'registry.goldentooth.net' (no scheme, no path)"


def _api_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.query or parts.fragment or parts.path.rstrip("/") not in ("", "/api/v1"):
        return ("must be Forgejo's root URL, such as 'https://git.example.net', without a path (but /api/v1), query "
                "or fragment: a token belongs in forgejoApiToken")  # fmt: skip
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return f"{value!r} would send the admin password unencrypted; use https (http only for localhost)"
    return None


def _chart_source(value: str) -> str | None:
    """An OCI repository, or a chart directory or .tgz that exists (relative paths from the project directory)."""
    if value.startswith("oci://"):
        host, _, path = value.removeprefix("oci://").partition("/")
        if path and single_token(value) and re.fullmatch(_DOMAIN + r"(?::\d{1,5})?", host, re.ASCII):
            return None
        return f"{value!r} is not an OCI repository such as 'oci://code.forgejo.org/forgejo-helm'"
    if "://" in value:
        return (
            f"{value!r} is neither an oci:// repository nor a local path (Helm's http repositories are not supported)"
        )
    if value.endswith(".tgz"):
        return None if Path(value).is_file() else f"{value!r}: no such chart archive"
    return None if Path(value, "Chart.yaml").is_file() else f"{value!r} is not a chart directory (no Chart.yaml there)"


def ca_bundle(value: str) -> str | None:
    """PEM certificates and nothing else: a private key in a bundle would be stored and passed around as a CA."""
    blocks = set(re.findall(r"-----BEGIN ([A-Z0-9 ]+)-----", value))
    if any("PRIVATE KEY" in block for block in blocks):
        return "holds a private key; give only the CA certificate"
    if blocks != {"CERTIFICATE"}:
        return "is not PEM certificates ('-----BEGIN CERTIFICATE-----')"
    try:
        ssl.create_default_context(cadata=value)
    except (ssl.SSLError, ValueError):
        return "is not PEM certificates: a '-----BEGIN CERTIFICATE-----' block does not parse"
    return None


def one_of(*choices: str, what: str = "one of", why: str = "") -> AfterValidator:
    return rule(lambda v: None if v in choices else f"{v!r} is not {what} {', '.join(choices)}{why}")


def _secret(check: Callable[[str], object], reason: str) -> AfterValidator:
    return rule(lambda value: None if check(value) else reason)  # the value itself is never part of the reason


def _duration(value: str) -> str | None:
    try:
        parse_duration(value)
    except ValueError as error:
        return str(error)
    return None


_T = TypeVar("_T")
Blank = Annotated[_T, WrapValidator(lambda value, check: value if value == "" else check(value))]  # "": not set
DnsLabel = Annotated[str, rule(DNS_LABEL)]
DnsSubdomain = Annotated[str, rule(DNS_SUBDOMAIN)]
Namespace = Annotated[str, rule(lambda v: f"{v!r} is a namespace Kubernetes keeps for itself; choose another one"
                                if v in SYSTEM_NAMESPACES else DNS_LABEL(v))]  # fmt: skip
Hostname = Annotated[str, rule(_hostname)]
ExactVersion = Annotated[str, rule(
    lambda v: None if naming.is_exact_version(v) else f"{v!r} is not an exact semantic version; pin one such as "
    "'15.0.3' (ranges like '>=16 <17' install whatever is newest on the day of `pulumi up`)"
)]  # fmt: skip
ForgejoVersion = Annotated[ExactVersion, rule(_image_tag)]
HelmReleaseName = Annotated[str, rule(matching(rf"(?=.{{1,53}}$){_DOMAIN}", "{v!r} is not a valid Helm release name: "
                            "use at most 53 lower-case letters, digits, '-' and '.', starting and ending with a letter "
                            "or digit"))]  # fmt: skip
ForgejoName = Annotated[str, rule(FORGEJO_NAME)]
AdminUsername = Annotated[str, rule(first(_reserved, FORGEJO_NAME))]
# Forgejo's emailRegexp (modules/validation/email.go), no leading '-', and a dot-atom as net/mail parses it.
_ATOM, _HOST_LABEL = r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+", r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
Email = Annotated[str, rule(matching(
    rf"(?!-){_ATOM}(?:\.{_ATOM})*@{_HOST_LABEL}(?:\.{_HOST_LABEL})*",
    "{v!r} is not an e-mail address Forgejo accepts, such as 'admin@example.net' (ASCII only, no ';', not starting "
    "with '-')",
))]  # fmt: skip
Bytes = Annotated[str, rule(_BYTES)]
Cpu = Annotated[str, rule(_CPU)]
_LABEL_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
NodeSelector = dict[
    Annotated[str, rule(matching(rf"(?:(?={_DOMAIN}/)(?=.{{1,253}}/){_DOMAIN}/)?{_LABEL_NAME}", "{v!r} is not a "
                                 "Kubernetes label key such as 'node.kubernetes.io/disk-type'"))],
    Annotated[str, rule(matching(f"(?:{_LABEL_NAME})?", "{v!r} is not a Kubernetes label value (at most 63 letters, "
                                 "digits, '-', '_', '.')"))],
]  # fmt: skip
GoDuration = Annotated[str, rule(_duration)]
MinInterval = Annotated[str, rule(first(_duration, lambda v: f"{v!r} is below 1m, which Forgejo silently raises to "
                                        "1m" if parse_duration(v) < 60 * 10**9 else None))]  # fmt: skip
# Flux's CRDs take Go durations in ms, s, m and h only (their pattern); 0 would scan once and never again.
FluxInterval = Annotated[str, rule(first(
    _duration,
    matching(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+", "{v!r} is not a duration Flux accepts: use ms, s, m and h only, "
             "such as '5m' or '1h30m'"),
    lambda v: f"{v!r} must be longer than 0" if parse_duration(v) == 0 else None,
))]  # fmt: skip
ExactImage = Annotated[str, rule(lambda value: _image(value, exact=True))]
RunnerLabels = Annotated[list[Annotated[str, rule(_runner_label)]], AfterValidator(_runner_labels)]
RunnerScope = Blank[Annotated[str, rule(_runner_scope)]]
RepoName = Annotated[str, rule(repo_name)]
Port = Annotated[int, rule(lambda n: None if 1 <= n <= 65535 else f"{n} is not a TCP port (1-65535)")]
Capacity = Annotated[
    int, rule(lambda n: f"{n} is below 1; a runner needs room for at least one job" if n < 1 else None)
]
Cidr = Annotated[str, rule(_cidr)]
RegistryHost = Annotated[str, rule(_registry_host)]
ImageName = Annotated[str, rule(matching(_REPOSITORY, "{v!r} is not an image name such as 'goldentooth-mcp' (lower "
                                         "case, no tag)"))]  # fmt: skip
ConfigKey = Annotated[str, rule(matching(r"(?!\.\.)[-._a-zA-Z0-9]{1,253}(?<!^\.)", "{v!r} is not a Secret or ConfigMap "
                                         "key (letters, digits, '-', '_' and '.', not '.' or '..')"))]  # fmt: skip
ApiUrl = Annotated[str, rule(first(_url(("https", "http"), "an http(s) URL with a host", "they would be logged; the "
                                        "program sends them"), _api_url))]  # fmt: skip
CloneAddr = Annotated[str, rule(_url(("https",), "an https:// address with a host (a token for a private upstream must "
                                     "not travel in clear text)", "Forgejo would store them: give a private "
                                     "upstream's token in mirrorUpstreamTokens"))]  # fmt: skip
ChartSource = Annotated[str, rule(_chart_source)]
OptionalCaBundle = Blank[Annotated[str, rule(ca_bundle)]]
GitRef = Annotated[str, rule(lambda v: f"{v!r} is not a git branch or tag name (no spaces, '..', '~', '^', ':', '?', "
                             "'*', '[', '\\', '@{', leading '/' or '.', trailing '.' or '.lock')"
                             if not v or _GIT_REF_FORBIDDEN.search(v) else None)]  # fmt: skip
Token = Annotated[str, _secret(single_token, "must be a single token without spaces, newlines or control characters "
                               "(the value is not shown)")]  # fmt: skip
SharedSecret = Annotated[str, _secret(lambda v: re.fullmatch("[0-9a-f]{40}", v), "must be exactly 40 lower-case hex "
                                      "characters (e.g. the output of `openssl rand -hex 20`)")]  # fmt: skip
Password = Annotated[str, _secret(lambda v: len(v) >= 8, "is shorter than 8 characters, Forgejo's default "
                                  "MIN_PASSWORD_LENGTH")]  # fmt: skip
PodSecurityLevel = Annotated[
    str, one_of("privileged", "baseline", "restricted", what="a PodSecurity level; use one of")
]
