"""The chart's fullname rule, branch by branch (templates/_helpers.tpl)."""

import pytest

from components.naming import chart_fullname, http_service_name, internal_url


@pytest.mark.parametrize(
    ("release", "override", "fullname"),
    [
        pytest.param("forgejo", "", "forgejo", id="release-contains-chart-name"),
        pytest.param("forgejo-forgejo", "", "forgejo-forgejo", id="flux-style-release-keeps-its-name"),
        pytest.param("my-forgejo-prod", "", "my-forgejo-prod", id="chart-name-anywhere-in-release"),
        pytest.param("git", "", "git-forgejo", id="release-without-chart-name-gets-suffix"),
        pytest.param("git", "code", "code", id="override-wins-over-suffix"),
        pytest.param("forgejo", "forgejo-forgejo", "forgejo-forgejo", id="override-wins-over-release"),
        pytest.param("r", "a" * 70, "a" * 63, id="override-truncated-to-63"),
        pytest.param("r", "a" * 62 + "-b", "a" * 62, id="truncation-trims-one-trailing-dash"),
        pytest.param("x" * 55, "", "x" * 55 + "-forgejo", id="suffixed-name-fits-63"),
        pytest.param("x" * 60, "", "x" * 60 + "-fo", id="suffixed-name-truncated-to-63"),
    ],
)
def test_fullname_follows_the_chart_rule(release: str, override: str, fullname: str) -> None:
    assert chart_fullname(release, override) == fullname


def test_trim_suffix_removes_a_single_dash_like_helm() -> None:
    assert chart_fullname("r", "a" * 61 + "--b") == "a" * 61 + "-"


def test_flux_release_name_explains_the_seed_stutter() -> None:
    assert http_service_name("forgejo-forgejo") == "forgejo-forgejo-http"


def test_pulumi_release_named_forgejo_has_no_stutter() -> None:
    assert http_service_name("forgejo") == "forgejo-http"


def test_internal_url_is_plain_http_to_the_cluster_dns_name() -> None:
    assert internal_url("forgejo-http", "forgejo", 3000) == "http://forgejo-http.forgejo.svc.cluster.local:3000"
