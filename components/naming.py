"""Names the Forgejo chart derives, computed the way the chart computes them.

The seed's HTTPRoute pointed at ``forgejo-http`` while the chart had made
``forgejo-forgejo-http``, and Envoy answered 500. Nothing in this program
types a chart-made name by hand: the route, the runner's ``--instance`` URL
and the stack outputs all come from here.
"""

from __future__ import annotations

CHART_NAME = "forgejo"
FORGEJO_IMAGE_REPOSITORY = "code.forgejo.org/forgejo/forgejo"


def chart_reference(source: str) -> str:
    """What Helm installs: the chart ``forgejo`` in an OCI repository, or a local directory or .tgz as it is."""
    return f"{source.rstrip('/')}/{CHART_NAME}" if source.startswith("oci://") else source


def _truncate(name: str) -> str:
    # Helm's `trunc 63 | trimSuffix "-"`: trimSuffix removes one dash, not all.
    return name[:63].removesuffix("-")


def chart_fullname(release_name: str, fullname_override: str = "") -> str:
    """The chart's ``forgejo.fullname`` helper (templates/_helpers.tpl).

    fullnameOverride wins; otherwise a release name that already contains the
    chart name is used as is; otherwise ``<release>-<chart>``. Flux names its
    releases ``<targetNamespace>-<name>``, which is how the seed's release
    ``forgejo`` in namespace ``forgejo`` became ``forgejo-forgejo``.
    """
    if fullname_override:
        return _truncate(fullname_override)
    if CHART_NAME in release_name:
        return _truncate(release_name)
    return _truncate(f"{release_name}-{CHART_NAME}")


def http_service_name(release_name: str, fullname_override: str = "") -> str:
    """The chart's HTTP Service (templates/gitea/http-svc.yaml): ``<fullname>-http``."""
    return f"{chart_fullname(release_name, fullname_override)}-http"


def internal_url(service_name: str, namespace: str, port: int) -> str:
    """In-cluster URL of the HTTP service.

    Always http: TLS ends at the gateway, and in-cluster traffic never crosses
    it. https here fails the TLS handshake (the seed's runner did).
    """
    return f"http://{service_name}.{namespace}.svc.cluster.local:{port}"
