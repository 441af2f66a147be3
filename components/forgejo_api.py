"""A small client for the parts of Forgejo's REST API that a pull mirror needs.

Transport rules (notes/forgejo-api.md):

* Transient faults are retried by urllib3's ``Retry`` mounted on the session,
  with bounded exponential backoff -- never by a loop here. Connection errors
  are retried for every method (nothing reached the server). HTTP 502/503/504
  and read timeouts are retried only on idempotent calls (GET, PATCH, DELETE
  and the mirror-sync POST, which only queues a sync). The migrate and
  workflow-dispatch POSTs are never re-sent: a second migrate would race the
  first, a second dispatch would run the workflow twice.
* ``POST /repos/migrate`` clones synchronously (up to ``[git.timeout] MIGRATE``,
  600 s), so it gets a longer timeout than everything else. If the client or a
  proxy gives up first, the server keeps cloning; the only way to learn the
  outcome is to poll the repository (see ``wait_for_migration``).
* Writes never follow redirects: Forgejo answers a renamed repository with a
  301, and requests would replay a PATCH without its body. A redirect on a
  write is reported as an error naming the new location.
* Every error is a ``ForgejoApiError`` whose text names the repository, the
  method and path, the HTTP status and Forgejo's ``message``, with
  credentials removed (Forgejo echoes clone URLs, which may carry a token).
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

API_PREFIX = "/api/v1"
USER_AGENT = "goldentooth-forgejo-mirror"

# Retry budgets. Sleeps are backoff_factor * 2**(n-1) seconds, capped, so with
# the default factor of 1.0: ordinary calls wait 0+2+4+8 s at most; the
# readiness wait covers ~4 minutes (0+2+4+8+15*16 s) for Forgejo's first start.
RETRIES = 4
RETRY_BACKOFF_MAX = 10.0
READY_RETRIES = 20
READY_BACKOFF_MAX = 15.0
TRANSIENT_STATUSES = frozenset({502, 503, 504})
# POST is retried only on the session that carries mirror-sync (see the module docstring).
IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "DELETE", "POST"})
# After a migrate times out: poll every 10 s for up to 5 minutes.
MIGRATION_POLLS = 30
MIGRATION_POLL_SECONDS = 10.0

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_REDACTED = "***"


class ForgejoApiError(Exception):
    """A failed call; ``str()`` is the whole, credential-free explanation."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RepoAlreadyExists(ForgejoApiError):
    """``POST /repos/migrate`` answered 409: the owner already has a repository of that name."""


@dataclass(frozen=True)
class ApiCredentials:
    """Admin basic auth (username + password) or an access token; the token wins when both are given."""

    username: str = ""
    password: str = ""
    token: str = ""

    def secrets(self) -> tuple[str, ...]:
        """Every form in which these credentials could be echoed back, the Basic header value included."""
        basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode() if self.password else ""
        return tuple(value for value in (self.password, self.token, basic) if value)


@dataclass(frozen=True)
class Timing:
    """Timeouts and the backoff scale; tests shrink ``backoff_factor`` to milliseconds."""

    request_timeout: float = 30.0
    migrate_timeout: float = 660.0  # above Forgejo's 600 s clone timeout
    backoff_factor: float = 1.0


class _TokenAuth(requests.auth.AuthBase):
    """``Authorization: token …``. An auth object (not a bare header) keeps requests from applying ~/.netrc."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"token {self._token}"
        return request


@contextmanager
def tls_verify(ca_bundle: str | None, insecure: bool) -> Iterator[bool | str]:
    """The ``verify=`` value for requests: a CA bundle file, the system store, or off.

    requests wants a path, so the PEM text is written to a private temporary
    file that exists only while the caller talks to Forgejo.
    """
    if insecure:
        yield False
        return
    if not ca_bundle:
        yield True
        return
    handle, path = tempfile.mkstemp(prefix="forgejo-ca-", suffix=".pem")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as pem:
            pem.write(ca_bundle)
        yield path
    finally:
        os.unlink(path)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without URL userinfo and without any of ``secrets``."""
    text = _URL_USERINFO.sub(f"{_REDACTED}@", text)
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def _retry(*, total: int, backoff_factor: float, backoff_max: float, retry_post: bool) -> Retry:
    # An empty allowed_methods would mean "every method" to urllib3 2.x, so POST is excluded by name.
    methods = IDEMPOTENT_METHODS if retry_post else IDEMPOTENT_METHODS - {"POST"}
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=0,
        allowed_methods=methods,
        status_forcelist=TRANSIENT_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        raise_on_status=False,  # hand back the last 503 so the error names it
        respect_retry_after_header=False,  # a server's Retry-After must not stretch the bound
    )


class ForgejoClient:
    """Calls about one repository (``subject``, "owner/name"), which every error message names."""

    def __init__(
        self,
        api_url: str,
        credentials: ApiCredentials,
        *,
        subject: str,
        verify: bool | str = True,
        timing: Timing | None = None,
        extra_secrets: Iterable[str] = (),
    ) -> None:
        self._base = api_url.rstrip("/")
        if not self._base.endswith(API_PREFIX):
            self._base += API_PREFIX
        self._subject = subject
        self._verify = verify
        self._timing = timing or Timing()
        self._secrets = (*credentials.secrets(), *(s for s in extra_secrets if s))
        self._auth: requests.auth.AuthBase = (
            _TokenAuth(credentials.token)
            if credentials.token
            else requests.auth.HTTPBasicAuth(credentials.username, credentials.password)
        )
        factor = self._timing.backoff_factor
        # Two sessions, because urllib3 decides what to retry by method, and only some POSTs may repeat.
        self._safe = self._session(
            _retry(total=RETRIES, backoff_factor=factor, backoff_max=RETRY_BACKOFF_MAX * factor, retry_post=True)
        )
        self._unsafe = self._session(
            _retry(total=RETRIES, backoff_factor=factor, backoff_max=RETRY_BACKOFF_MAX * factor, retry_post=False)
        )

    def __enter__(self) -> ForgejoClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._safe.close()
        self._unsafe.close()

    # -- calls -----------------------------------------------------------

    def wait_until_ready(self) -> str:
        """Wait (bounded) until ``GET /version`` answers; return the version.

        On the first ``pulumi up`` Forgejo starts moments before the mirrors
        are created, so refused connections and gateway 502/503/504s are
        expected for a while.
        """
        factor = self._timing.backoff_factor
        retry = _retry(
            total=READY_RETRIES, backoff_factor=factor, backoff_max=READY_BACKOFF_MAX * factor, retry_post=False
        )
        with self._session(retry) as session:
            response = self._send(session, "GET", "/version", timeout=self._timing.request_timeout)
        return str(self._expect(response, "GET", "/version", 200).get("version", ""))

    def migrate(self, options: dict[str, Any]) -> dict[str, Any]:
        """Create the mirror with ``POST /repos/migrate`` and return the repository.

        Raises ``RepoAlreadyExists`` on 409. When the answer is lost after the
        request went out (client read timeout, dropped connection, a proxy's
        504), waits for the server-side migration to end instead of failing.
        """
        path = "/repos/migrate"
        try:
            response = self._send(
                self._unsafe, "POST", path, json=options, timeout=self._timing.migrate_timeout, reraise_lost_answer=True
            )
        except requests.exceptions.ReadTimeout:
            return self.wait_for_migration(f"no answer within {self._timing.migrate_timeout:g} s")
        except requests.exceptions.ConnectionError:
            return self.wait_for_migration("the connection dropped before the answer")
        if response.status_code == 504:
            return self.wait_for_migration("a proxy gave up waiting (HTTP 504)")
        if response.status_code == 409:
            raise RepoAlreadyExists(self._failure("POST", path, response), status=409)
        return self._expect(response, "POST", path, 201)

    def get_repo(self, full_name: str) -> dict[str, Any] | None:
        """The repository, or None when it does not exist."""
        path = _repo_path(full_name)
        response = self._send(self._safe, "GET", path)
        return None if response.status_code == 404 else self._expect(response, "GET", path, 200)

    def get_repo_by_id(self, repo_id: int) -> dict[str, Any] | None:
        """The repository by its immutable id (survives renames), or None when it is gone."""
        path = f"/repositories/{repo_id}"
        response = self._send(self._safe, "GET", path)
        return None if response.status_code == 404 else self._expect(response, "GET", path, 200)

    def edit_repo(self, full_name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """``PATCH`` only the given fields and return the repository as the server now has it."""
        path = _repo_path(full_name)
        return self._expect(self._send(self._safe, "PATCH", path, json=changes), "PATCH", path, 200)

    def delete_repo(self, full_name: str) -> bool:
        """Delete the repository; False when it was already gone."""
        path = _repo_path(full_name)
        response = self._send(self._safe, "DELETE", path)
        if response.status_code == 404:
            return False
        self._expect(response, "DELETE", path, 204)
        return True

    def sync_mirror(self, full_name: str) -> None:
        """Queue a mirror sync now (asynchronous on the server)."""
        path = f"{_repo_path(full_name)}/mirror-sync"
        self._expect(self._send(self._safe, "POST", path), "POST", path, 200)

    def dispatch_workflow(self, full_name: str, workflow_file: str, ref: str) -> None:
        """Start a ``workflow_dispatch`` run of ``workflow_file`` on ``ref``."""
        path = f"{_repo_path(full_name)}/actions/workflows/{quote(workflow_file, safe='')}/dispatches"
        response = self._send(self._unsafe, "POST", path, json={"ref": ref})
        self._expect(response, "POST", path, 204, 201)

    def wait_for_migration(self, why: str) -> dict[str, Any]:
        """Poll until the interrupted migration ends; a bounded poll, not a retry.

        The server runs the clone under its own context, so it carries on
        after the client has gone (notes/forgejo-api.md 3.2). While it runs,
        the repository exists with an empty ``mirror_interval``; on success
        the interval is set; on failure the repository is deleted (404).
        """
        for _ in range(MIGRATION_POLLS):
            repo = self.get_repo(self._subject)
            if repo is None:
                raise ForgejoApiError(
                    f"{self._subject}: POST {API_PREFIX}/repos/migrate got {why}, and the repository then "
                    "disappeared: the migration failed on the server. Forgejo's log says why."
                )
            if repo.get("mirror_interval"):
                return repo
            time.sleep(MIGRATION_POLL_SECONDS * self._timing.backoff_factor)
        raise ForgejoApiError(
            f"{self._subject}: POST {API_PREFIX}/repos/migrate got {why}, and the migration was still running "
            f"{MIGRATION_POLLS * MIGRATION_POLL_SECONDS * self._timing.backoff_factor:g} s later. "
            "Run `pulumi up` again once it has finished: the finished mirror will be adopted."
        )

    # -- plumbing --------------------------------------------------------

    def _session(self, retry: Retry) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.auth = self._auth
        session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        return session

    def _send(
        self,
        session: requests.Session,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        timeout: float | None = None,
        reraise_lost_answer: bool = False,
    ) -> requests.Response:
        """One call, with the session's retries. Transport failures become ForgejoApiError, except,
        when asked (``migrate``), those after the request went out: the server may be at work on it."""
        timeout = timeout or self._timing.request_timeout
        try:
            return session.request(
                method,
                self._base + path,
                json=json,
                timeout=timeout,
                # verify per request: a session-level value loses to REQUESTS_CA_BUNDLE.
                verify=self._verify,
                allow_redirects=method == "GET",
            )
        except requests.exceptions.ReadTimeout:
            if reraise_lost_answer:
                raise
            reason = f"no answer within {timeout:g} s (not re-sent: repeating this call is not safe)"
        except requests.exceptions.SSLError:
            reason = (
                "TLS verification failed; set ca_bundle to the CA that signed Forgejo's certificate "
                "(goldentooth's Step-CA root)"
            )
        except requests.exceptions.ConnectionError as error:
            # requests passes a mid-answer disconnect on as a ProtocolError; a failed connect (nothing sent) is not.
            if reraise_lost_answer and error.args and isinstance(error.args[0], urllib3.exceptions.ProtocolError):
                raise
            reason = str(error)
        except requests.RequestException as error:
            reason = str(error)
        except (ValueError, TypeError, UnicodeError) as error:
            # Raised while building the request (http.client refuses a header
            # with a newline, say); the text quotes the header, credentials and
            # all, escaped past redaction, so only the type is reported.
            reason = f"the request could not be built ({type(error).__name__}); check api_url and the credentials"
        # `from None`: the chained urllib3 traceback adds nothing, and the provider host prints tracebacks.
        message = f"{self._subject}: {method} {API_PREFIX}{path} failed: {reason}"
        raise ForgejoApiError(redact(message, self._secrets)) from None

    def _expect(self, response: requests.Response, method: str, path: str, *statuses: int) -> dict[str, Any]:
        if response.status_code not in statuses:
            raise ForgejoApiError(self._failure(method, path, response), status=response.status_code)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise ForgejoApiError(
                f"{self._subject}: {method} {API_PREFIX}{path} answered HTTP {response.status_code} "
                "with a body that is not JSON; is api_url pointing at Forgejo?"
            ) from None
        return body if isinstance(body, dict) else {}

    def _failure(self, method: str, path: str, response: requests.Response) -> str:
        where = f"{self._subject}: {method} {API_PREFIX}{path}"
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("Location", "(no Location header)")
            message = (
                f"{where} answered HTTP {status}, redirecting to {location}: the repository was renamed or "
                "moved in Forgejo. Rename it back, or run `pulumi refresh` and update the mirror's name in config."
            )
        else:
            message = f"{where} failed with HTTP {status}: {_forgejo_message(response)}"
        return redact(message, self._secrets)


def _forgejo_message(response: requests.Response) -> str:
    """Forgejo's ``{"message": ...}``, or the start of a non-JSON body (e.g. a proxy's error page)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()
        return text[:200] if text else "(empty response)"
    message = body.get("message")
    # A production Forgejo blanks the message of a 500 for non-admin callers.
    return str(message) if message else "(Forgejo gave no message; its log has the details)"


def _repo_path(full_name: str) -> str:
    owner, _, name = full_name.partition("/")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
