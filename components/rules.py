"""Validation rules for config values, one function per rule.

Each rule returns ``None`` when the value is fine, or a short reason that the
config loader prefixes with the key. Reasons never repeat secret values.
Rules follow the tool that would otherwise reject the value later, at apply
time or worse: Kubernetes (names, labels, quantities), Helm (release names,
exact versions), Forgejo (user names, durations), Gateway API (hostnames).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

from components.durations import DurationError, parse_duration
from components.naming import is_exact_version

# Patterns are applied with fullmatch: with match, "$" also matches before a
# trailing newline, so a YAML block scalar's "forgejo\n" would pass. Those
# with \d are re.ASCII: a str pattern's \d matches any Unicode digit
# (Arabic-Indic ones, say), which Kubernetes, Helm and Go all refuse.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# Forgejo's user name rule (models/user: alphanumerics, '-', '_', '.'; no leading,
# trailing or doubled punctuation).
_FORGEJO_USERNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|[-_.](?=[A-Za-z0-9]))*")
# Names Forgejo reserves for its own routes; "admin" is also refused by the chart.
_RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "api",
        "assets",
        "attachments",
        "avatar",
        "avatars",
        "captcha",
        "commits",
        "debug",
        "error",
        "explore",
        "favicon.ico",
        "ghost",
        "issues",
        "login",
        "manifest.json",
        "metrics",
        "milestones",
        "new",
        "notifications",
        "org",
        "pulls",
        "raw",
        "repo",
        "repo-avatars",
        "robots.txt",
        "search",
        "serviceworker.js",
        "ssh_info",
        "swagger.v1.json",
        "user",
        "v2",
        "forgejo-actions",
        "gitea-actions",
    }
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# Kubernetes resource.Quantity in the forms people write: 500m, 1, 1.5, 256Mi, 10Gi, 1e3.
_QUANTITY = re.compile(
    r"(?P<number>\d+(?:\.\d+)?|\.\d+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE]\d+)?", re.ASCII
)
# Suffix -> (multiplier, power of ten).
_QUANTITY_SUFFIXES = {
    None: (1, 0),
    "n": (1, -9),
    "u": (1, -6),
    "m": (1, -3),
    "k": (1, 3),
    "M": (1, 6),
    "G": (1, 9),
    "T": (1, 12),
    "P": (1, 15),
    "E": (1, 18),
    "Ki": (2**10, 0),
    "Mi": (2**20, 0),
    "Gi": (2**30, 0),
    "Ti": (2**40, 0),
    "Pi": (2**50, 0),
    "Ei": (2**60, 0),
}
# Kubernetes caps a binary-suffixed quantity (Ki..Ei) at 2^63-1 units; here in billionths.
BINARY_QUANTITY_MAX_NANOS = (2**63 - 1) * 10**9
# Longer numbers and larger exponents describe no real cluster; refusing them keeps the integers small.
_QUANTITY_MAX_DIGITS = 40
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")


def dns_label(value: str) -> str | None:
    """RFC 1123 label, as Kubernetes requires for namespace names."""
    if not _DNS_LABEL.fullmatch(value) or len(value) > 63:
        return (
            f"{value!r} is not an RFC 1123 label: use at most 63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def dns_subdomain(value: str) -> str | None:
    """RFC 1123 subdomain, as Kubernetes requires for most object names."""
    if not _DNS_SUBDOMAIN.fullmatch(value) or len(value) > 253:
        return (
            f"{value!r} is not an RFC 1123 subdomain: use lower-case letters, digits, '-' and '.', "
            "at most 253 characters"
        )
    return None


def hostname(value: str) -> str | None:
    """A fully qualified RFC 1123 host name that a Gateway API HTTPRoute accepts.

    Gateway API refuses IP addresses and upper case; a wildcard would not give
    Forgejo a single ROOT_URL.
    """
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return f"{value!r} is an IP address; HTTPRoute hostnames must be DNS names"
    labels = value.split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or any(not _DNS_LABEL.fullmatch(label) or len(label) > 63 for label in labels)
    ):
        return (
            f"{value!r} is not a fully qualified RFC 1123 host name: use lower-case dot-separated labels "
            "of letters, digits and '-', such as 'git.example.net'"
        )
    return None


def exact_version(value: str) -> str | None:
    """An exact chart version. Ranges are refused: `pulumi up` must install what review saw."""
    if not is_exact_version(value):
        return (
            f"{value!r} is not an exact semantic version; pin one such as '15.0.3' "
            "(ranges like '>=16 <17' install whatever is newest on the day of `pulumi up`)"
        )
    return None


def helm_release_name(value: str) -> str | None:
    """Helm 3's release name rule: an RFC 1123 subdomain of at most 53 characters."""
    if not _DNS_SUBDOMAIN.fullmatch(value) or len(value) > 53:
        return (
            f"{value!r} is not a valid Helm release name: use at most 53 lower-case letters, digits, '-' "
            "and '.', starting and ending with a letter or digit"
        )
    return None


def forgejo_username(value: str) -> str | None:
    if value.lower() in _RESERVED_USERNAMES:
        return f"{value!r} is reserved by Forgejo and refused by the chart's admin setup; choose e.g. 'forgejo_admin'"
    if not _FORGEJO_USERNAME.fullmatch(value) or len(value) > 40:
        return (
            f"{value!r} is not a valid Forgejo user name: use at most 40 letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def email(value: str) -> str | None:
    if not _EMAIL.fullmatch(value):
        return f"{value!r} is not an e-mail address such as 'admin@example.net'"
    return None


def parse_quantity(value: str) -> int | None:
    """A Kubernetes quantity in billionths (nanocores, nanobytes), or None if malformed.

    Exact in integers, as Kubernetes parses it (resource.ParseQuantity):
    anything finer than a billionth rounds up ("0.1n" is 1n), and a binary
    suffix stops at 2^63-1. More than 40 digits, or an exponent above 40,
    counts as malformed.
    """
    match = _QUANTITY.fullmatch(value)
    if match is None:
        return None
    whole, _, fraction = match.group("number").partition(".")
    suffix = match.group("suffix")
    exponent = suffix[1:] if suffix not in _QUANTITY_SUFFIXES else ""  # "e3", "E3"
    if len(whole) + len(fraction) > _QUANTITY_MAX_DIGITS or len(exponent) > 2:
        return None
    multiplier, power = _QUANTITY_SUFFIXES[suffix] if not exponent else (1, int(exponent))
    if power > _QUANTITY_MAX_DIGITS:
        return None
    scaled = int(whole + fraction) * multiplier  # the number times 10 ** len(fraction)
    power += 9 - len(fraction)  # in billionths
    nanos = scaled * 10**power if power >= 0 else -(-scaled // 10**-power)  # the division rounds up
    return min(nanos, BINARY_QUANTITY_MAX_NANOS) if multiplier > 1 else nanos


def quantity(value: str) -> str | None:
    if parse_quantity(value) is None:
        return f"{value!r} is not a Kubernetes quantity such as '500m', '1', '256Mi' or '10Gi'"
    return None


def positive_quantity(value: str) -> str | None:
    parsed = parse_quantity(value)
    if parsed is None:
        return quantity(value)
    if parsed <= 0:
        return f"{value!r} must be greater than zero"
    return None


def label_key(value: str) -> str | None:
    """A Kubernetes label key: optional DNS-subdomain prefix, '/', and a name of at most 63 characters."""
    prefix, _, name = value.rpartition("/")
    if (prefix and dns_subdomain(prefix)) or not _LABEL_NAME.fullmatch(name) or len(name) > 63:
        return f"{value!r} is not a Kubernetes label key such as 'node.kubernetes.io/disk-type'"
    return None


def label_value(value: str) -> str | None:
    if value and (not _LABEL_NAME.fullmatch(value) or len(value) > 63):
        return f"{value!r} is not a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')"
    return None


def go_duration(value: str) -> str | None:
    try:
        parse_duration(value)
    except DurationError as error:
        return str(error)
    return None


def port(value: int) -> str | None:
    if not 1 <= value <= 65535:
        return f"{value} is not a TCP port (1-65535)"
    return None


def pod_security_level(value: str) -> str | None:
    if value not in POD_SECURITY_LEVELS:
        return f"{value!r} is not a PodSecurity level; use one of {', '.join(POD_SECURITY_LEVELS)}"
    return None


_IMAGE_REFERENCE = re.compile(
    r"(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[a-f0-9]{64}))?",
    re.ASCII,
)
# Runner labels: "<name>:docker://<image>", "<name>:host" or "<name>:lxc://<template>".
_RUNNER_LABEL = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*):(?P<scheme>docker|lxc|host)(?:://(?P<target>.+))?")


_IMAGE_NAME = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")


def image_name(value: str) -> str | None:
    """A repository path under a registry, as the build workflow pushes it: no registry host, no tag."""
    if not _IMAGE_NAME.fullmatch(value):
        return f"{value!r} is not an image name such as 'goldentooth-mcp' (lower case, no tag)"
    return None


def pinned_image(value: str) -> str | None:
    """An image reference with an exact tag (not `latest`) or a digest, so a restart never upgrades silently."""
    match = _IMAGE_REFERENCE.fullmatch(value)
    if match is None:
        return f"{value!r} is not an image reference such as 'code.forgejo.org/forgejo/runner:12.0.1'"
    if not match.group("tag") and not match.group("digest"):
        return f"{value!r} has no tag; pin an exact one such as '{value}:1.2.3'"
    if match.group("tag") == "latest" and not match.group("digest"):
        return f"{value!r} uses the moving tag 'latest'; pin an exact version"
    return None


def runner_label(value: str) -> str | None:
    match = _RUNNER_LABEL.fullmatch(value)
    if match is None:
        return (
            f"{value!r} is not a runner label; use 'name:docker://image:tag' (e.g. "
            "'ubuntu-latest:docker://node:20-bookworm') or 'name:host'"
        )
    scheme, target = match.group("scheme"), match.group("target")
    if scheme == "host":
        return None if target is None else f"{value!r}: a host label takes no '://…' part"
    if not target:
        return f"{value!r} names no {scheme} image after '{scheme}://'"
    if scheme == "docker":
        problem = pinned_image(target)
        return None if problem is None else f"{value!r}: {problem}"
    return None


def shared_secret(value: str) -> str | None:
    """The runner's shared secret: exactly 40 hex characters (forgejo-cli and create-runner-file both insist)."""
    if len(value) != 40 or any(character not in "0123456789abcdef" for character in value):
        return "must be exactly 40 lower-case hex characters (e.g. the output of `openssl rand -hex 20`)"
    return None


def registry_host(value: str) -> str | None:
    """A registry as images and /etc/docker/certs.d name it: host[:port], no scheme, no path."""
    if "@" in value:  # not echoed: user info before '@' is a credential
        return "is not a registry host[:port]: it must not carry credentials (user info before '@')"
    host, _, port_text = value.partition(":")
    # isdigit alone takes any Unicode digit, which Docker's reference parser refuses.
    port_ok = not port_text or (port_text.isascii() and port_text.isdigit() and port(int(port_text)) is None)
    if dns_subdomain(host) or not port_ok:
        return f"{value!r} is not a registry host[:port] such as 'registry.goldentooth.net' (no scheme, no path)"
    return None


def single_token(value: str) -> bool:
    """Non-empty, with no whitespace or control characters (a pasted newline, say)."""
    return bool(value) and value.isprintable() and not any(character.isspace() for character in value)


def token(value: str) -> str | None:
    """An API token. Never echoes the value."""
    if not single_token(value):
        return "must be a single token without spaces, newlines or control characters (the value is not shown)"
    return None


_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def config_key(value: str) -> str | None:
    """A key of a Secret or ConfigMap, as Kubernetes allows it."""
    if not _CONFIG_KEY.fullmatch(value) or len(value) > 253:
        return f"{value!r} is not a Secret or ConfigMap key (letters, digits, '-', '_' and '.')"
    return None


def api_url(value: str) -> str | None:
    """Forgejo's base URL for API calls: https, or http only on this machine (the admin's password travels in it)."""
    # Until the credentials check has passed, the value is not echoed: it may hold a password.
    if not single_token(value):
        # urlsplit quietly drops tabs and newlines, so it would not notice them.
        return "is not a URL: it contains whitespace or control characters (a pasted newline, say)"
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "is not an http(s) URL with a host, such as 'https://git.example.net'"
    if parts.username or parts.password:
        return "must not carry credentials in the URL (they would be logged); the program supplies them"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return f"{value!r} would send the admin password unencrypted; use https (http only for localhost)"
    return None


def chart_source(value: str) -> str | None:
    """An OCI repository URL, or a chart directory or .tgz that exists (relative paths from the project directory)."""
    if value.startswith("oci://"):
        host, _, path = value.removeprefix("oci://").partition("/")
        if registry_host(host) is not None or not path or not single_token(value):
            return f"{value!r} is not an OCI repository such as 'oci://code.forgejo.org/forgejo-helm'"
        return None
    if "://" in value:
        return (
            f"{value!r} is neither an oci:// repository nor a local path (Helm's http repositories are not supported)"
        )
    if value.endswith(".tgz"):
        return None if Path(value).is_file() else f"{value!r}: no such chart archive"
    if not (Path(value) / "Chart.yaml").is_file():
        return f"{value!r} is not a chart directory (no Chart.yaml there)"
    return None
