"""A small client for the parts of Forgejo's REST API that mirrors and access tokens need (notes/forgejo-api.md).

* **Only the configured origin.** Nothing follows a redirect for us; a GET follows at most ``MAX_REDIRECTS`` itself,
  within the same scheme, host and port (Forgejo answers a renamed repository with a 301). Any other redirect, and
  every redirect of a write, is an error naming where it pointed, so credentials never reach another origin and no
  other origin's answer is taken for Forgejo's. A repository fetched by id must carry that id.
* **Bounded.** Every call has a deadline (``Timing.deadline``; ``READY_DEADLINE`` for the readiness wait): urllib3's
  retries stop and shorten their sleeps at it, and the body is read one socket read at a time, so a server dripping
  bytes is cut off at the deadline. Bodies above ``Timing.max_response_bytes`` (4 MiB) are an error, never held.
* **Transient faults** (refused connections; 502/503/504 and read timeouts on idempotent calls) are retried by
  urllib3's ``Retry`` with bounded backoff. The migrate and dispatch POSTs are never re-sent here: a second dispatch
  runs the workflow twice, and whether to migrate again is decided by looking first (``MigrateAnswerLost``).
* ``POST /repos/migrate`` clones synchronously (up to ``[git.timeout] MIGRATE``, 600 s), so it gets a longer
  timeout; if a proxy gives up first the server keeps cloning, and ``wait_for_migration`` polls for the outcome.
* **Every answer is checked**: a repository must be a JSON object with an integer ``id``, a ``full_name`` and fields
  of the expected types. Anything else is a ``ForgejoApiError`` naming the repository, the call and the status, with
  credentials removed in every form they could be echoed in; TLS failures say which one it is and what to set.
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
# Sleeps are backoff_factor * 2**(n-1) seconds, capped: with the default factor, 0+2+4+8 s at most.
RETRIES, RETRY_BACKOFF_MAX = 4, 10.0
# The readiness wait for Forgejo's first start: sleeps 0+2+4+8+15*16 s, and READY_DEADLINE seconds in all.
READY_RETRIES, READY_BACKOFF_MAX, READY_DEADLINE = 20, 15.0, 300.0
TRANSIENT_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "PATCH", "DELETE", "POST"})  # POST only where the caller says so
# After a migrate times out, or while adopting one in progress: poll every 10 s for up to 5 minutes.
MIGRATION_POLLS, MIGRATION_POLL_SECONDS = 30, 10.0
MAX_REDIRECTS = 5
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_REDACTED = "***"
_READ_SIZE = 64 * 1024
# OpenSSL's verify codes for "no trusted CA signed this" and for a name the certificate does not cover.
_UNKNOWN_CA_CODES = frozenset({2, 18, 19, 20, 21})
_NAME_MISMATCH_CODES = frozenset({62, 64})
# What OpenSSL reports when the other side answers in plain HTTP (varies by version).
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"})
# The types of the Repository fields the provider reads; id and full_name are required.
_REPOSITORY_FIELDS: dict[str, type] = {
    "id": int, "full_name": str, "mirror": bool, "mirror_interval": str, "empty": bool, "has_actions": bool,
    "private": bool, "description": str, "html_url": str, "clone_url": str, "original_url": str,
    "default_branch": str, "topics": list,
}  # fmt: skip
# Forgejo's largest page ([api] MAX_RESPONSE_ITEMS, 50 by default), and how many pages of a user's tokens are read.
TOKEN_PAGE_SIZE, TOKEN_PAGES = 50, 20
NO_CA_FIX = (
    "set goldentooth-forgejo:forgejoCaFrom to the Secret or ConfigMap that holds the CA which signed Forgejo's "
    "certificate (goldentooth: `pulumi config set --path forgejoCaFrom.secretName gateway-tls` and "
    "`pulumi config set --path forgejoCaFrom.namespace gateway`; the key defaults to ca.crt), or "
    "goldentooth-forgejo:forgejoCaBundle to its PEM"
)


class ForgejoApiError(Exception):
    """A failed call; ``str()`` is the whole, credential-free explanation."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RepoAlreadyExists(ForgejoApiError):
    """``POST /repos/migrate`` answered 409: the owner already has a repository of that name."""


class MigrateAnswerLost(ForgejoApiError):
    """``POST /repos/migrate`` went out, but Forgejo's answer did not come back.

    ``resendable``: a gateway answered 502/503/504 or the connection dropped, so the request may never have reached
    Forgejo: look, and send it again if the repository is absent. Otherwise the call timed out while Forgejo may
    still be cloning: wait for the repository instead.
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
    """An HTTP answer, its body read (and bounded) already; ``location`` is a redirect's absolute target."""

    status: int
    content_type: str
    body: bytes
    location: str | None


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
    """The ``verify=`` value for requests: a CA bundle file (requests wants a path, so the PEM goes to a private
    temporary file that exists only while the caller talks to Forgejo), the system store, or off."""
    if insecure or not ca_bundle:
        yield not insecure
        return
    handle, path = tempfile.mkstemp(prefix="forgejo-ca-", suffix=".pem")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as pem:
            pem.write(ca_bundle)
        yield path
    finally:
        os.unlink(path)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without URL userinfo and without any of ``secrets``, plain or percent-encoded (either case)."""
    text = _URL_USERINFO.sub(f"{_REDACTED}@", text)
    forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""), quote(secret),
                                                                  quote_plus(secret))}  # fmt: skip
    for form in sorted(forms, key=len, reverse=True):
        text = (
            re.sub(re.escape(form), _REDACTED, text, flags=re.IGNORECASE)
            if "%" in form
            else text.replace(form, _REDACTED)
        )
    return text


def _origin(url: str) -> str:
    """scheme://host:port, the port made explicit; "" for a URL without a usable host."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return ""
    return f"{parts.scheme.lower()}://{parts.hostname}:{port}" if parts.hostname else ""


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
        self._base = api_url.rstrip("/").removesuffix(API_PREFIX) + API_PREFIX
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

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        """Nothing to release: each call opens and closes its own session."""

    def wait_until_ready(self) -> str:
        """Wait until ``GET /version`` answers and return the version: on the first ``pulumi up`` Forgejo starts
        moments before the mirrors are created, so refused connections and gateway errors are expected a while."""
        answer = self._send(
            "GET", "/version", retries=READY_RETRIES, backoff_max=READY_BACKOFF_MAX, budget=READY_DEADLINE
        )
        return str(self._expect(answer, "GET", "/version", 200).get("version", ""))

    def migrate(self, options: dict[str, Any]) -> dict[str, Any]:
        """Send ``POST /repos/migrate`` once and return the new repository; ``RepoAlreadyExists`` on 409,
        ``MigrateAnswerLost`` when the answer is lost after the request went out."""
        path, timeout = "/repos/migrate", self._timing.migrate_timeout
        where = f"{self._subject}: POST {API_PREFIX}{path}"
        try:
            answer = self._send("POST", path, payload=options, timeout=timeout, lost_answer=True)
        except requests.exceptions.ReadTimeout:
            raise MigrateAnswerLost(f"{where} got no answer within {timeout:g} s", resendable=False) from None
        except requests.exceptions.ConnectionError:
            raise MigrateAnswerLost(f"{where}: the connection dropped before the answer", resendable=True) from None
        if answer.status in TRANSIENT_STATUSES:
            raise MigrateAnswerLost(self._failure("POST", path, answer), resendable=True, status=answer.status)
        if answer.status == 409:
            raise RepoAlreadyExists(self._failure("POST", path, answer), status=409)
        return self._repository(answer, "POST", path, 201)

    def get_repo(self, full_name: str) -> dict[str, Any] | None:
        """The repository, or None when it does not exist."""
        answer = self._send("GET", path := _repo_path(full_name))
        return None if answer.status == 404 else self._repository(answer, "GET", path, 200)

    def get_repo_by_id(self, repo_id: int) -> dict[str, Any] | None:
        """The repository by its immutable id (survives renames), or None when it is gone."""
        answer = self._send("GET", path := f"/repositories/{repo_id}")
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
        return self._repository(self._send("PATCH", path := _repo_path(full_name), payload=changes), "PATCH", path, 200)

    def set_topics(self, full_name: str, topics: list[str]) -> None:
        """Replace the repository's topics with ``topics`` (``PUT .../topics``, one request)."""
        path = f"{_repo_path(full_name)}/topics"
        self._expect(self._send("PUT", path, payload={"topics": topics}), "PUT", path, 204)

    def delete_repo(self, full_name: str) -> bool:
        """Delete the repository; False when it was already gone."""
        answer = self._send("DELETE", path := _repo_path(full_name))
        if answer.status != 404:
            self._expect(answer, "DELETE", path, 204)
        return answer.status != 404

    def sync_mirror(self, full_name: str) -> None:
        """Queue a mirror sync now (asynchronous on the server, so safe to retry)."""
        path = f"{_repo_path(full_name)}/mirror-sync"
        self._expect(self._send("POST", path, retry_post=True), "POST", path, 200)

    def dispatch_workflow(self, full_name: str, workflow_file: str, ref: str) -> None:
        """Start a ``workflow_dispatch`` run of ``workflow_file`` on ``ref``."""
        path = f"{_repo_path(full_name)}/actions/workflows/{quote(workflow_file, safe='')}/dispatches"
        self._expect(self._send("POST", path, payload={"ref": ref}), "POST", path, 204, 201)

    def create_token(self, user: str, name: str, scopes: list[str]) -> dict[str, Any]:
        """``POST /users/{user}/tokens`` once (never re-sent: a second one would make a second token) and return the
        AccessToken, whose ``sha1`` is the value: Forgejo shows it this once."""
        path = f"/users/{quote(user, safe='')}/tokens"
        answer = self._send("POST", path, payload={"name": name, "scopes": scopes})
        token = self._expect(answer, "POST", path, 201)
        if not (isinstance(token.get("id"), int) and isinstance(token.get("sha1"), str) and token["sha1"]):
            raise ForgejoApiError(
                f"{self._subject}: POST {API_PREFIX}{path} answered HTTP 201 without a token id and value; "
                "is api_url pointing at Forgejo's API?",
                status=answer.status,
            )
        return token

    def list_tokens(self, user: str) -> list[dict[str, Any]]:
        """The user's tokens (id, name, scopes, token_last_eight; never a value), up to ``TOKEN_PAGES`` pages."""
        path, tokens = f"/users/{quote(user, safe='')}/tokens", []
        for page in range(1, TOKEN_PAGES + 1):
            answer = self._send("GET", f"{path}?page={page}&limit={TOKEN_PAGE_SIZE}")
            if answer.status != 200:
                self._expect(answer, "GET", path, 200)
            listed = _json(answer.body)
            if not isinstance(listed, list) or not all(isinstance(t, dict) and "id" in t for t in listed):
                raise ForgejoApiError(
                    f"{self._subject}: GET {API_PREFIX}{path} answered HTTP 200 with something that is not a list of "
                    "tokens; is api_url pointing at Forgejo's API?"
                )
            tokens += listed
            if len(listed) < TOKEN_PAGE_SIZE:
                break
        return tokens

    def delete_token(self, user: str, token_id: int) -> bool:
        """Revoke the token; False when it was already gone."""
        answer = self._send("DELETE", path := f"/users/{quote(user, safe='')}/tokens/{token_id}")
        if answer.status != 404:
            self._expect(answer, "DELETE", path, 204)
        return answer.status != 404

    def wait_for_migration(self, why: str) -> dict[str, Any]:
        """Poll until the subject is neither mid-migration nor empty: a bounded poll, not a retry. ``why`` says why
        we wait. The server clones under its own context, so it carries on after the client has gone; meanwhile the
        repository exists, empty and without ``mirror_interval``; a failed migration deletes it (404)."""
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
        deadline, factor = time.monotonic() + budget, self._timing.backoff_factor
        # An empty allowed_methods would mean "every method" to urllib3 2.x, so POST is excluded by name.
        retry = _Retry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            allowed_methods=IDEMPOTENT_METHODS if retry_post else IDEMPOTENT_METHODS - {"POST"},
            status_forcelist=TRANSIENT_STATUSES, backoff_factor=factor, backoff_max=backoff_max * factor,
            raise_on_status=False,  # hand back the last 503 so the error names it
            respect_retry_after_header=False,  # a server's Retry-After must not stretch the bound
        )  # fmt: skip
        retry.deadline = deadline
        where, url = f"{self._subject}: {method} {API_PREFIX}{path}", self._base + path
        try:
            with requests.Session() as session:
                session.mount("http://", adapter := HTTPAdapter(max_retries=retry))
                session.mount("https://", adapter)
                session.auth = self._auth
                session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
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
            # Raised while building the request (http.client refuses a header with a newline, say); the text quotes
            # the header, credentials and all, escaped past redaction, so only the type is reported.
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
        # verify per request: a session-level value loses to REQUESTS_CA_BUNDLE.
        with session.request(
            method, url, json=payload, timeout=timeout, verify=self._verify, allow_redirects=False, stream=True
        ) as response:
            limit, status = self._timing.max_response_bytes, response.status_code
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ForgejoApiError(self._too_big(where, status, int(declared)))
            body, overdue = bytearray(), False
            try:
                # read1: at most one socket read each, so the deadline is looked at between any two of them.
                # Past the deadline, only the end of the answer may still come.
                while chunk := response.raw.read1(_READ_SIZE, decode_content=True):
                    if overdue:
                        raise ForgejoApiError(
                            f"{where} answered HTTP {status} but had not sent its whole answer within the call's "
                            f"deadline of {budget:g} s; something between here and Forgejo is stalling"
                        )
                    body += chunk
                    if len(body) > limit:
                        raise ForgejoApiError(self._too_big(where, status))
                    overdue = time.monotonic() > deadline
            except urllib3.exceptions.ReadTimeoutError as error:
                raise requests.exceptions.ReadTimeout(error) from None
            except urllib3.exceptions.ProtocolError as error:
                raise requests.exceptions.ConnectionError(error) from None
            location = response.headers.get("Location") if status in _REDIRECTS else None
            content_type = response.headers.get("Content-Type", "")
            return _Answer(status, content_type, bytes(body), urljoin(url, location) if location else None)

    def _too_big(self, where: str, status: int, announced: int | None = None) -> str:
        size = f" ({announced} bytes announced)" if announced else ""
        return (
            f"{where} answered HTTP {status} with a body larger than max_response_bytes "
            f"({self._timing.max_response_bytes} bytes){size}, and was not read further; "
            "is api_url pointing at Forgejo's API?"
        )

    def _tls_failure(self, error: BaseException) -> str:
        cause = next((e for e in _causes(error) if isinstance(e, ssl.SSLError)), None)
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message
            if cause.verify_code in _NAME_MISMATCH_CODES:
                return (
                    f"TLS: the server's certificate is not valid for {urlsplit(self._base).hostname} ({detail}); "
                    "use a host name in api_url that the certificate names"
                )
            if cause.verify_code in _UNKNOWN_CA_CODES and isinstance(self._verify, str):
                return f"TLS: the server's certificate is not signed by the CA in ca_bundle ({detail}); {NO_CA_FIX}"
            if cause.verify_code in _UNKNOWN_CA_CODES:
                return (
                    f"TLS: the server's certificate is signed by a CA this machine does not trust ({detail}), "
                    f"and no CA is configured; {NO_CA_FIX}"
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
        body = _json(answer.body) if answer.body else {}
        if isinstance(body, dict):
            return body
        what = "an HTML page" if _is_html(answer) else "a body that is not JSON" if body is _NOT_JSON else (
            f"JSON that is not an object ({type(body).__name__})")  # fmt: skip
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
        where, status, location = f"{self._subject}: {method} {API_PREFIX}{path}", answer.status, answer.location
        if status in _REDIRECTS and location and _origin(location) != self._origin:
            message = (
                f"{where} answered HTTP {status}, redirecting to another origin ({_origin(location) or '?'}). "
                "Not followed, and no credentials were sent there: api_url must be Forgejo's own address."
            )
        elif status in _REDIRECTS:
            message = (
                f"{where} answered HTTP {status}, redirecting to "
                f"{urlsplit(location).path or location if location else '(no Location header)'}: the repository was "
                "renamed or moved in Forgejo. Rename it back, or run `pulumi refresh` and update the mirror's name in "
                "config."
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
        # A production Forgejo blanks the message of a 500 for non-admin callers.
        return str(body.get("message") or "(Forgejo gave no message; its log has the details)")
    text = answer.body.decode("utf-8", "replace")
    if _is_html(answer):
        title = _HTML_TITLE.search(text)
        named = f" titled {' '.join(title.group(1).split())[:100]!r}" if title else ""
        return f"an HTML page{named}, not Forgejo's JSON (a proxy or gateway answered)"
    return " ".join(text.split())[:200] or "(empty response)"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: causes, contexts, urllib3's ``reason`` and exception arguments."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        item = pending.pop()
        if isinstance(item, BaseException) and id(item) not in seen:
            seen.add(id(item))
            yield item
            pending += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]


def _repo_path(full_name: str) -> str:
    owner, _, name = full_name.partition("/")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
