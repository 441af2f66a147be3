"""The Forgejo chart's naming rule and the exact-version rule, shared by the program and the policy pack.

Plain Python with no imports from this project or from pydantic: the policy pack runs in its own virtualenv
(policy/requirements.txt) and imports this module by path. The seed's HTTPRoute pointed at ``forgejo-http``
while the chart had made ``forgejo-forgejo-http``: nothing types a chart-made name by hand.
"""

from __future__ import annotations

import re

CHART_NAME = "forgejo"
FORGEJO_IMAGE_REPOSITORY = "code.forgejo.org/forgejo/forgejo"
# semver.org's pattern, applied with fullmatch and ASCII digits: "15.0.3\n" and "1\u0665.0.3" are not versions.
EXACT_VERSION = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)


def is_exact_version(value: object) -> bool:  # no range, no ``v`` prefix: `pulumi up` installs what review saw
    return isinstance(value, str) and EXACT_VERSION.fullmatch(value) is not None


def chart_reference(source: str) -> str:  # the chart in an OCI repository, or a local directory or .tgz as it is
    return f"{source.rstrip('/')}/{CHART_NAME}" if source.startswith("oci://") else source


def chart_fullname(release_name: str, fullname_override: str = "", chart_name: str = CHART_NAME) -> str:
    """The chart's ``forgejo.fullname`` helper (templates/_helpers.tpl), cut as Helm's trunc/trimSuffix cut it. Flux
    names its releases ``<targetNamespace>-<name>``: that is how the seed's release became ``forgejo-forgejo``."""
    name = fullname_override or (release_name if chart_name in release_name else f"{release_name}-{chart_name}")
    return name[:63].removesuffix("-")


def http_service_name(release_name: str, fullname_override: str = "") -> str:  # templates/gitea/http-svc.yaml
    return f"{chart_fullname(release_name, fullname_override)}-http"


def internal_url(service_name: str, namespace: str, port: int) -> str:
    """In-cluster URL of the HTTP service: always http, TLS ends at the gateway (the seed's https here failed)."""
    return f"http://{service_name}.{namespace}.svc.cluster.local:{port}"
