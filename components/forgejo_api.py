"""A small client for the parts of Forgejo's REST API that a pull mirror needs.

Transport rules (notes/forgejo-api.md):

* **Only the configured origin.** Nothing follows a redirect for us
  (``allow_redirects=False`` everywhere). A GET follows at most
  ``MAX_REDIRECTS`` redirects itself, and only to the same scheme, host and
  port: Forgejo answers a renamed repository with a 301 to its new path. Any
  other redirect, and every redirect of a write, is an error naming where it
  pointed. The credentials ride on every request, so they never reach another
  origin, and no other origin's answer is ever taken for Forgejo's. A
  repository fetched by id must also carry that id.
* **Bounded.** Every call has a deadline: its per-read timeout plus two more
  ``request_timeout`` (``Timing.deadline``), ``READY_DEADLINE`` for the
  readiness wait. urllib3's retries stop and shorten their sleeps at the
  deadline (``_Retry``), and the body is read one socket read at a time, so a
  server dripping bytes is cut off at the deadline, not per read. A call thus
  ends within its deadline plus the reads in flight (each at most
  ``request_timeout``): the attempt under way, and one read for the answer's end.
  Bodies are capped at ``Timing.max_response_bytes`` (4 MiB by default; a
  repository is a few kB): a bigger one is an error, never held in memory.
* **Transient faults** are retried by urllib3's ``Retry`` mounted on the
  session, with bounded exponential backoff -- never by a loop here.
  Connection errors are retried for every method (nothing reached the
  server). HTTP 502/503/504 and read timeouts are retried only on idempotent
  calls (GET, PUT, PATCH, DELETE and the mirror-sync POST, which only queues a
  sync). The migrate and workflow-dispatch POSTs are never re-sent here: a
  second dispatch would run the workflow twice, and whether to send migrate
  again is decided by looking first (``MigrateAnswerLost``, the provider).
* ``POST /repos/migrate`` clones synchronously (up to ``[git.timeout] MIGRATE``,
  600 s), so it gets a longer timeout than everything else. If the client or a
  proxy gives up first, the server keeps cloning; the only way to learn the
  outcome is to poll the repository (``wait_for_migration``, a bounded poll of
  ``MIGRATION_POLLS`` x ``MIGRATION_POLL_SECONDS``: 5 minutes).
* **Every answer is checked** before it is used: a repository must be a JSON
  object with an integer ``id``, a ``full_name`` and fields of the expected
  types. Anything else -- other JSON, a body that is not JSON, a proxy's HTML
  page -- is a ``ForgejoApiError`` whose text names the repository, the method
  and path and the HTTP status, with credentials removed in every form they
  could be echoed in (plain, percent-encoded, and the Basic header's base64).
  TLS failures say which one it is: an unknown CA (and whether ``ca_bundle``
  was given), a host-name mismatch, or a plain-http server on an https URL.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import ssl
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import quote, quote_plus, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

API_PREFIX = "/api/v1"
USER_AGENT = "goldentooth-forgejo-mirror"

# Retry budgets. Sleeps are backoff_factor * 2**(n-1) seconds, capped, so with
# the default factor of 1.0 ordinary calls wait 0+2+4+8 s at most.
RETRIES = 4
RETRY_BACKOFF_MAX = 10.0
# The readiness wait: Forgejo's first start on the first `pulumi up`. At most
# READY_RETRIES retries (sleeps 0+2+4+8+15*16 s) and READY_DEADLINE seconds.
READY_RETRIES = 20
READY_BACKOFF_MAX = 15.0
READY_DEADLINE = 300.0
TRANSIENT_STATUSES = frozenset({502, 503, 504})
# POST is retried only where the caller says it may be (see the module docstring).
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "PATCH", "DELETE", "POST"})
# After a migrate times out, or while adopting one in progress: poll every 10 s for up to 5 minutes.
MIGRATION_POLLS = 30
MIGRATION_POLL_SECONDS = 10.0
MAX_REDIRECTS = 5
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_REDACTED = "***"
_READ_SIZE = 64 * 1024
# OpenSSL's verify codes for "no trusted CA signed this" and for a name that the certificate does not cover.
_UNKNOWN_CA_CODES = frozenset({2, 18, 19, 20, 21})  # ..._GET_ISSUER_CERT(_LOCALLY), SELF_SIGNED..., ..._LEAF_SIGNATURE
_NAME_MISMATCH_CODES = frozenset({62, 64})  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
# What OpenSSL reports when the other side answers in plain HTTP (varies by version).
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"})
# Field types of a Forgejo Repository, as far as the provider reads them; id and full_name are required.
_REPOSITORY_FIELDS: dict[str, type] = {
    "id": int,
    "full_name": str,
    "mirror": bool,
    "mirror_interval": str,
    "empty": bool,
    "has_actions": bool,
    "private": bool,
    "description": str,
    "html_url": str,
    "clone_url": str,
    "original_url": str,
    "default_branch": str,
    "topics": list,
}


class ForgejoApiError(Exception):
    """A failed call; ``str()`` is the whole, credential-free explanation."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RepoAlreadyExists(ForgejoApiError):
    """``POST /repos/migrate`` answered 409: the owner already has a repository of that name."""


class MigrateAnswerLost(ForgejoApiError):
    """``POST /repos/migrate`` went out, but Forgejo's answer did not come back.

    ``resendable``: a gateway answered 502/503/504 or the connection dropped,
    so the request may never have reached Forgejo -- look, and send it again
    if the repository is absent. Otherwise the call timed out while Forgejo
    may still be cloning: wait for the repository instead.
    """

    def __init__(self, message: str, *, resendable: bool, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.resendable = resendable


@dataclass(frozen=True)
class ApiCredentials:
    """Admin basic auth (username + password) or an access token; the token wins when both are given."""

    username: str = ""
    password: str = ""
    token: str = ""

    def secrets(self) -> tuple[str, ...]:
        """Every form in which these credentials could be echoed back, the Basic header value included."""
        basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode() if self.password else ""
        return tuple(value for value in (self.password, self.token, basic, basic.rstrip("=")) if value)


@dataclass(frozen=True)
class Timing:
    """Timeouts, the backoff scale and the size bound; tests shrink them to milliseconds and bytes."""

    request_timeout: float = 30.0
    migrate_timeout: float = 660.0  # above Forgejo's 600 s clone timeout
    backoff_factor: float = 1.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def deadline(self, timeout: float) -> float:
        """A call's total budget: its own timeout, and room for retries."""
        return timeout + 2 * self.request_timeout


class _Answer(NamedTuple):
    """An HTTP answer, its body read (and bounded) already."""

    status: int
    content_type: str
    body: bytes
    location: str | None  # a redirect's target, absolute


class _TokenAuth(requests.auth.AuthBase):
    """``Authorization: token …``. An auth object (not a bare header) keeps requests from applying ~/.netrc."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"token {self._token}"
        return request


class _Retry(Retry):
    """urllib3's ``Retry`` that also gives up at the call's deadline, and never sleeps past it."""

    deadline = math.inf  # time.monotonic() value

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.deadline = self.deadline
        return retry

    def is_exhausted(self) -> bool:
        return time.monotonic() >= self.deadline or super().is_exhausted()

    def get_backoff_time(self) -> float:
        return max(0.0, min(super().get_backoff_time(), self.deadline - time.monotonic()))


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
    """``text`` without URL userinfo and without any of ``secrets``, plain or percent-encoded."""
    text = _URL_USERINFO.sub(f"{_REDACTED}@", text)
    forms = {form for secret in secrets if secret for form in _encodings(secret)}
    for form in sorted(forms, key=len, reverse=True):
        # Percent-escapes come in either case (%2F, %2f); a plain secret is matched exactly.
        text = (
            re.sub(re.escape(form), _REDACTED, text, flags=re.IGNORECASE)
            if "%" in form
            else text.replace(form, _REDACTED)
        )
    return text


def _encodings(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}


def _retry(*, total: int, backoff_factor: float, backoff_max: float, retry_post: bool, deadline: float) -> _Retry:
    # An empty allowed_methods would mean "every method" to urllib3 2.x, so POST is excluded by name.
    methods = IDEMPOTENT_METHODS if retry_post else IDEMPOTENT_METHODS - {"POST"}
    retry = _Retry(
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
    retry.deadline = deadline
    return retry


def _origin(url: str) -> str:
    """scheme://host:port, the port made explicit; "" for a URL without a usable host."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return ""
    return f"{scheme}://{parts.hostname}:{port}" if parts.hostname else ""


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
        self._origin = _origin(self._base)
        self._subject = subject
        self._verify = verify
        self._timing = timing or Timing()
        self._secrets = (*credentials.secrets(), *(s for s in extra_secrets if s))
        self._auth: requests.auth.AuthBase = (
            _TokenAuth(credentials.token)
            if credentials.token
            else requests.auth.HTTPBasicAuth(credentials.username, credentials.password)
        )

    def __enter__(self) -> ForgejoClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: each call opens and closes its own session."""

    # -- calls -----------------------------------------------------------

    def wait_until_ready(self) -> str:
        """Wait (at most READY_RETRIES retries and READY_DEADLINE s) until ``GET /version`` answers.

        On the first ``pulumi up`` Forgejo starts moments before the mirrors
        are created, so refused connections and gateway 502/503/504s are
        expected for a while. Returns the version.
        """
        path = "/version"
        answer = self._send("GET", path, retries=READY_RETRIES, backoff_max=READY_BACKOFF_MAX, budget=READY_DEADLINE)
        return str(self._expect(answer, "GET", path, 200).get("version", ""))

    def migrate(self, options: dict[str, Any]) -> dict[str, Any]:
        """Send ``POST /repos/migrate`` once and return the new repository.

        Raises ``RepoAlreadyExists`` on 409, and ``MigrateAnswerLost`` when the
        answer is lost after the request went out (see there).
        """
        path = "/repos/migrate"
        where = f"{self._subject}: POST {API_PREFIX}{path}"
        timeout = self._timing.migrate_timeout
        try:
            answer = self._send("POST", path, payload=options, timeout=timeout, lost_answer=True)
        except requests.exceptions.ReadTimeout:
            raise MigrateAnswerLost(f"{where} got no answer within {timeout:g} s", resendable=False) from None
        except requests.exceptions.ConnectionError:
            raise MigrateAnswerLost(f"{where}: the connection dropped before the answer", resendable=True) from None
        if answer.status in TRANSIENT_STATUSES:
            message = self._failure("POST", path, answer)
            raise MigrateAnswerLost(message, resendable=True, status=answer.status)
        if answer.status == 409:
            raise RepoAlreadyExists(self._failure("POST", path, answer), status=409)
        return self._repository(answer, "POST", path, 201)

    def get_repo(self, full_name: str) -> dict[str, Any] | None:
        """The repository, or None when it does not exist."""
        path = _repo_path(full_name)
        answer = self._send("GET", path)
        return None if answer.status == 404 else self._repository(answer, "GET", path, 200)

    def get_repo_by_id(self, repo_id: int) -> dict[str, Any] | None:
        """The repository by its immutable id (survives renames), or None when it is gone."""
        path = f"/repositories/{repo_id}"
        answer = self._send("GET", path)
        if answer.status == 404:
            return None
        repo = self._repository(answer, "GET", path, 200)
        if repo["id"] != repo_id:
            raise ForgejoApiError(
                f"{self._subject}: GET {API_PREFIX}{path} answered with repository id {repo['id']}, not {repo_id}; "
                "is api_url pointing at Forgejo's API?"
            )
        return repo

    def edit_repo(self, full_name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """``PATCH`` only the given fields and return the repository as the server now has it."""
        path = _repo_path(full_name)
        return self._repository(self._send("PATCH", path, payload=changes), "PATCH", path, 200)

    def set_topics(self, full_name: str, topics: list[str]) -> None:
        """Replace the repository's topics with ``topics`` (``PUT .../topics``, one request)."""
        path = f"{_repo_path(full_name)}/topics"
        self._expect(self._send("PUT", path, payload={"topics": topics}), "PUT", path, 204)

    def delete_repo(self, full_name: str) -> bool:
        """Delete the repository; False when it was already gone."""
        path = _repo_path(full_name)
        answer = self._send("DELETE", path)
        if answer.status == 404:
            return False
        self._expect(answer, "DELETE", path, 204)
        return True

    def sync_mirror(self, full_name: str) -> None:
        """Queue a mirror sync now (asynchronous on the server)."""
        path = f"{_repo_path(full_name)}/mirror-sync"
        self._expect(self._send("POST", path, retry_post=True), "POST", path, 200)

    def dispatch_workflow(self, full_name: str, workflow_file: str, ref: str) -> None:
        """Start a ``workflow_dispatch`` run of ``workflow_file`` on ``ref``."""
        path = f"{_repo_path(full_name)}/actions/workflows/{quote(workflow_file, safe='')}/dispatches"
        self._expect(self._send("POST", path, payload={"ref": ref}), "POST", path, 204, 201)

    def wait_for_migration(self, why: str) -> dict[str, Any]:
        """Poll until the subject is neither mid-migration nor empty; a bounded poll, not a retry.

        ``why`` says why we wait ("POST ... got no answer within 660 s"). The
        server runs the clone under its own context, so it carries on after
        the client has gone (notes/forgejo-api.md 3.2). While it runs, the
        repository exists, empty and with no ``mirror_interval``; on success
        the interval is set; on failure the repository is deleted (404).
        """
        total = MIGRATION_POLLS * MIGRATION_POLL_SECONDS * self._timing.backoff_factor
        for _ in range(MIGRATION_POLLS):
            repo = self.get_repo(self._subject)
            if repo is None:
                raise ForgejoApiError(
                    f"{why}, and the repository then disappeared: the migration failed on the server. "
                    "Forgejo's log says why; run `pulumi up` again to retry."
                )
            if repo.get("mirror_interval") and not repo.get("empty"):
                return repo
            time.sleep(total / MIGRATION_POLLS)
        raise ForgejoApiError(
            f"{why}, and {self._subject} was still being migrated or still empty {total:g} s later. "
            "Run `pulumi up` again once its page in Forgejo lists branches: the mirror will be adopted then. "
            "(An upstream without commits stays empty: push a commit there first.)"
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
        method: str,
        path: str,
        *,
        payload: dict[str, Any] | None = None,
        timeout: float | None = None,
        retries: int = RETRIES,
        backoff_max: float = RETRY_BACKOFF_MAX,
        budget: float | None = None,
        retry_post: bool = False,
        lost_answer: bool = False,
    ) -> _Answer:
        """One call, with its retries, redirects and deadline. Transport failures become ForgejoApiError,
        except, when asked (``migrate``), those after the request went out: the server may be at work on it."""
        timeout = timeout or self._timing.request_timeout
        budget = budget or self._timing.deadline(timeout)
        deadline = time.monotonic() + budget
        factor = self._timing.backoff_factor
        retry = _retry(
            total=retries, backoff_factor=factor, backoff_max=backoff_max * factor, retry_post=retry_post,
            deadline=deadline,
        )  # fmt: skip
        where = f"{self._subject}: {method} {API_PREFIX}{path}"
        url = self._base + path
        try:
            with self._session(retry) as session:
                for _ in range(MAX_REDIRECTS):
                    answer = self._exchange(session, method, url, payload, timeout, where, deadline, budget)
                    # Only a GET follows a redirect, and only within the configured origin.
                    if method != "GET" or not answer.location or _origin(answer.location) != self._origin:
                        return answer
                    url = answer.location
                return answer
        except requests.exceptions.ReadTimeout:
            if lost_answer:
                raise
            reason = f"no answer within {timeout:g} s (not re-sent: repeating this call is not safe)"
        except requests.exceptions.SSLError as error:
            reason = self._tls_failure(error)
        except requests.exceptions.ConnectionError as error:
            # requests passes a mid-answer disconnect on as a ProtocolError; a failed connect (nothing sent) is not.
            if lost_answer and error.args and isinstance(error.args[0], urllib3.exceptions.ProtocolError):
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
        raise ForgejoApiError(redact(f"{where} failed: {reason}", self._secrets)) from None

    def _exchange(
        self,
        session: requests.Session,
        method: str,
        url: str,
        payload: dict[str, Any] | None,
        timeout: float,
        where: str,
        deadline: float,
        budget: float,
    ) -> _Answer:
        """One request (urllib3 retrying it) and its whole answer, read within the size bound and the deadline."""
        with session.request(
            method,
            url,
            json=payload,
            timeout=timeout,
            verify=self._verify,  # per request: a session-level value loses to REQUESTS_CA_BUNDLE
            allow_redirects=False,
            stream=True,
        ) as response:
            limit = self._timing.max_response_bytes
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ForgejoApiError(self._too_big(where, response.status_code, int(declared)))
            body = bytearray()
            overdue = False
            try:
                # read1: at most one socket read each, so the deadline is looked at between any two of them.
                # Past the deadline, only the end of the answer may still come.
                while chunk := response.raw.read1(_READ_SIZE, decode_content=True):
                    if overdue:
                        raise ForgejoApiError(
                            f"{where} answered HTTP {response.status_code} but had not sent its whole answer within "
                            f"the call's deadline of {budget:g} s; something between here and Forgejo is stalling"
                        )
                    body += chunk
                    if len(body) > limit:
                        raise ForgejoApiError(self._too_big(where, response.status_code))
                    overdue = time.monotonic() > deadline
            except urllib3.exceptions.ReadTimeoutError as error:
                raise requests.exceptions.ReadTimeout(error) from None
            except urllib3.exceptions.ProtocolError as error:
                raise requests.exceptions.ConnectionError(error) from None
            location = response.headers.get("Location") if response.status_code in _REDIRECTS else None
            return _Answer(
                response.status_code,
                response.headers.get("Content-Type", ""),
                bytes(body),
                urljoin(url, location) if location else None,
            )

    def _too_big(self, where: str, status: int, announced: int | None = None) -> str:
        size = f" ({announced} bytes announced)" if announced else ""
        return (
            f"{where} answered HTTP {status} with a body larger than max_response_bytes "
            f"({self._timing.max_response_bytes} bytes){size}, and was not read further; "
            "is api_url pointing at Forgejo's API?"
        )

    def _tls_failure(self, error: BaseException) -> str:
        cause = next((e for e in _causes(error) if isinstance(e, ssl.SSLError)), None)
        host = urlsplit(self._base).hostname
        fix = "set ca_bundle to the CA that signed Forgejo's certificate (goldentooth's Step-CA root)"
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message
            if cause.verify_code in _NAME_MISMATCH_CODES:
                return (
                    f"TLS: the server's certificate is not valid for {host} ({detail}); "
                    "use a host name in api_url that the certificate names"
                )
            if cause.verify_code in _UNKNOWN_CA_CODES:
                if isinstance(self._verify, str):
                    return f"TLS: the server's certificate is not signed by the CA in ca_bundle ({detail}); {fix}"
                return (
                    f"TLS: the server's certificate is signed by a CA this machine does not trust ({detail}), "
                    f"and ca_bundle is not set; {fix}"
                )
            return f"TLS: the server's certificate was refused ({detail})"
        reason = getattr(cause, "reason", None) or ""
        if reason in _NOT_TLS_REASONS:
            return (
                "TLS: the server did not answer in TLS; it looks like plain http on an https:// URL. "
                "Use http:// in api_url, or the port where Forgejo serves https"
            )
        return f"TLS: the handshake failed ({reason or type(cause or error).__name__})"

    def _expect(self, answer: _Answer, method: str, path: str, *statuses: int) -> dict[str, Any]:
        """The answer's JSON object, if its status is one of ``statuses``; otherwise a clear error."""
        if answer.status not in statuses:
            raise ForgejoApiError(self._failure(method, path, answer), status=answer.status)
        if not answer.body:
            return {}
        body = _json(answer.body)
        if isinstance(body, dict):
            return body
        what = (
            "an HTML page"
            if _is_html(answer)
            else "a body that is not JSON"
            if body is _NOT_JSON
            else f"JSON that is not an object ({type(body).__name__})"
        )
        raise ForgejoApiError(
            f"{self._subject}: {method} {API_PREFIX}{path} answered HTTP {answer.status} with {what}; "
            "is api_url pointing at Forgejo's API (https://<host>/api/v1)?",
            status=answer.status,
        )

    def _repository(self, answer: _Answer, method: str, path: str, status: int) -> dict[str, Any]:
        """The answer as a repository, every field the provider reads of the expected type."""
        repo = self._expect(answer, method, path, status)
        problems = [f"no {key}" for key in ("id", "full_name") if key not in repo]
        for key, kind in _REPOSITORY_FIELDS.items():
            value = repo.get(key)
            if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
                problems.append(f"{key} is {type(value).__name__}, not {kind.__name__}")
        if isinstance(repo.get("full_name"), str) and "/" not in repo["full_name"]:
            problems.append("full_name is not owner/name")
        if not all(isinstance(topic, str) for topic in repo.get("topics") or []):
            problems.append("topics are not all strings")
        if problems:
            raise ForgejoApiError(
                f"{self._subject}: {method} {API_PREFIX}{path} answered HTTP {answer.status} with JSON that is not a "
                f"Forgejo repository ({'; '.join(problems)}); is api_url pointing at Forgejo's API?",
                status=answer.status,
            )
        return repo

    def _failure(self, method: str, path: str, answer: _Answer) -> str:
        where = f"{self._subject}: {method} {API_PREFIX}{path}"
        status = answer.status
        if status in _REDIRECTS and answer.location and _origin(answer.location) != self._origin:
            message = (
                f"{where} answered HTTP {status}, redirecting to another origin ({_origin(answer.location) or '?'}). "
                "Not followed, and no credentials were sent there: api_url must be Forgejo's own address."
            )
        elif status in _REDIRECTS:
            location = answer.location or "(no Location header)"
            message = (
                f"{where} answered HTTP {status}, redirecting to {urlsplit(location).path or location}: "
                "the repository was renamed or moved in Forgejo. Rename it back, or run `pulumi refresh` and update "
                "the mirror's name in config."
            )
        else:
            message = f"{where} failed with HTTP {status}: {_forgejo_message(answer)}"
        return redact(message, self._secrets)


_NOT_JSON = object()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        return _NOT_JSON


def _is_html(answer: _Answer) -> bool:
    return "html" in answer.content_type.lower() or answer.body.lstrip()[:1] == b"<"


def _forgejo_message(answer: _Answer) -> str:
    """Forgejo's ``{"message": ...}``, or what a non-JSON body is (e.g. a proxy's error page)."""
    body = _json(answer.body)
    if isinstance(body, dict):
        message = body.get("message")
        # A production Forgejo blanks the message of a 500 for non-admin callers.
        return str(message) if message else "(Forgejo gave no message; its log has the details)"
    text = answer.body.decode("utf-8", "replace")
    if _is_html(answer):
        title = _HTML_TITLE.search(text)
        named = f" titled {' '.join(title.group(1).split())[:100]!r}" if title else ""
        return f"an HTML page{named}, not Forgejo's JSON (a proxy or gateway answered)"
    text = " ".join(text.split())
    return text[:200] if text else "(empty response)"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: causes, contexts, urllib3's ``reason`` and exception arguments."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        pending += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]


def _repo_path(full_name: str) -> str:
    owner, _, name = full_name.partition("/")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
