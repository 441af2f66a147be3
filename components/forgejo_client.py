"""A small client for the parts of Forgejo's REST API that mirrors and access tokens need.

README ("Talking to Forgejo") states what it guarantees: only the configured origin (a GET follows at most
``MAX_REDIRECTS`` redirects within it, nothing else does), a deadline and a size bound on every call, transient
faults retried by urllib3 (never a migrate, a dispatch or a token create), and every answer checked, with
credentials removed from every error.
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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self
from urllib.parse import quote, quote_plus, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from components.forgejo_api import REPOSITORY_FIELDS, ApiInputs, ForgejoApiError, MigrateAnswerLost

API_PREFIX = "/api/v1"
RETRIES = 4  # sleeps of backoff_factor * 0, 2, 4, 8 s
# The readiness wait for Forgejo's first start: sleeps 0+2+4+8+15*16 s, and READY_DEADLINE seconds in all.
READY_RETRIES, READY_DEADLINE = 20, 300.0
MIGRATION_POLLS = 30  # after a migrate timed out, or while adopting one in progress: every 10 s for 5 minutes
MAX_REDIRECTS = 5
TOKEN_PAGE_SIZE, TOKEN_PAGES = 50, 20  # Forgejo's largest page ([api] MAX_RESPONSE_ITEMS), and how many are read
_HEADERS = {"Accept": "application/json", "User-Agent": "goldentooth-forgejo-mirror"}
_NOT_JSON = object()  # what an answer that is not JSON decodes to
_TRANSIENT = frozenset({502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# OpenSSL's verify codes for "no trusted CA signed this" and for a name the certificate does not cover, and what it
# reports when the other side answers in plain HTTP (varies by version).
_UNKNOWN_CA, _NAME_MISMATCH = frozenset({2, 18, 19, 20, 21}), frozenset({62, 64})
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"})
NO_CA_FIX = (
    "set goldentooth-forgejo:forgejoCaFrom to the Secret or ConfigMap that holds the CA which signed Forgejo's "
    "certificate (goldentooth: `pulumi config set --path forgejoCaFrom.secretName gateway-tls` and "
    "`pulumi config set --path forgejoCaFrom.namespace gateway`; the key defaults to ca.crt), or "
    "goldentooth-forgejo:forgejoCaBundle to its PEM"
)


@contextmanager
def connect(inputs: ApiInputs, subject: str, *extra_secrets: str) -> Iterator[ForgejoClient]:
    """A client from one call's inputs (nothing is kept on the provider between calls). ``extra_secrets`` are
    redacted from every error, as the credentials are."""
    with tls_verify(inputs.ca_bundle, bool(inputs.insecure)) as verify:
        yield ForgejoClient(inputs, subject, verify, extra_secrets)


class _Retry(Retry):
    """urllib3's ``Retry`` that also gives up at the call's deadline, and never sleeps past it."""

    deadline = math.inf  # a time.monotonic() value

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
    text = _URL_USERINFO.sub("***@", text)
    forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""), quote(secret),
                                                                  quote_plus(secret))}  # fmt: skip
    for form in sorted(forms, key=len, reverse=True):
        text = re.sub(re.escape(form), "***", text, flags=re.IGNORECASE) if "%" in form else text.replace(form, "***")
    return text


def _origin(url: str) -> str:
    """scheme://host:port, the port made explicit; "" for a URL without a usable host."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return ""
    return f"{parts.scheme.lower()}://{parts.hostname}:{port}" if parts.hostname else ""


def _object(body: Any) -> str | None:
    return None if isinstance(body, dict) else f"JSON that is not an object ({type(body).__name__})"


def _repository(body: Any, asked: str | int = "") -> str | None:
    """What keeps ``body`` from being a Repository whose fields the provider reads (and, ``asked`` by id, that one)."""
    if not isinstance(body, dict):
        return _object(body)
    problems = [f"no {key}" for key in ("id", "full_name") if key not in body]
    for key, kind in REPOSITORY_FIELDS.items():
        value = body.get(key)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            problems.append(f"{key} is {type(value).__name__}, not {kind.__name__}")
    if isinstance(body.get("full_name"), str) and "/" not in body["full_name"]:
        problems.append("full_name is not owner/name")
    if not all(isinstance(topic, str) for topic in body.get("topics") or []):
        problems.append("topics are not all strings")
    if problems:
        return f"JSON that is not a Forgejo repository ({'; '.join(problems)})"
    return f"repository id {body['id']}, not {asked}" if isinstance(asked, int) and body["id"] != asked else None


def _token(body: Any) -> str | None:
    valid = isinstance(body, dict) and isinstance(body.get("id"), int) and isinstance(body.get("sha1"), str)
    return None if valid and body["sha1"] else "JSON that is not an access token with an id and a value"


def _tokens(body: Any) -> str | None:
    valid = isinstance(body, list) and all(isinstance(token, dict) and "id" in token for token in body)
    return None if valid else "JSON that is not a list of access tokens"


class ForgejoClient:
    """Calls about one repository or token (``subject``), which every error message names."""

    def __init__(self, inputs: ApiInputs, subject: str, verify: bool | str, extra_secrets: Iterable[str]) -> None:
        auth = inputs.api_auth or {}
        user, password, token = auth.get("username", ""), auth.get("password", ""), auth.get("token", "")
        self._base = str(inputs.api_url).rstrip("/").removesuffix(API_PREFIX) + API_PREFIX
        self._subject, self._verify = subject, verify
        self._timeout = float(inputs.request_timeout or 30.0)
        self._migrate_timeout = float(inputs.migrate_timeout or 660.0)
        self._backoff = float(inputs.retry_backoff_factor or 1.0)
        self._limit = int(inputs.max_response_bytes or 4 * 1024 * 1024)
        # Every form in which the credentials could be echoed back, the Basic header value included.
        basic = base64.b64encode(f"{user}:{password}".encode()).decode() if password else ""
        self._secrets = tuple(s for s in (password, token, basic, basic.rstrip("="), *extra_secrets) if s)

        def token_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
            request.headers["Authorization"] = f"token {token}"
            return request

        # An auth object (not a bare header) keeps requests from applying ~/.netrc.
        self._auth = token_auth if token else (user, password)

    def wait_until_ready(self) -> str:
        """``GET /version``'s version. On the first ``pulumi up`` Forgejo starts moments before the mirrors are
        created, so refused connections and gateway errors are expected a while."""
        return str(self._call("GET", "/version", 200, ready=True).get("version", ""))

    def migrate(self, options: dict[str, Any]) -> dict[str, Any]:
        """Send ``POST /repos/migrate`` once and return the new repository. Whether to send it again is decided by
        looking first (``MigrateAnswerLost``): a second migrate could make a second repository. A 409 means the
        owner already has a repository of that name."""
        return self._call("POST", "/repos/migrate", 201, payload=options, migrate=True, shape=_repository)

    def get_repo(self, repo: str | int) -> dict[str, Any] | None:
        """The repository by owner/name or by its immutable id (which survives renames); None when it is gone."""
        path = _repo_path(repo) if isinstance(repo, str) else f"/repositories/{repo}"
        return self._call("GET", path, 200, 404, shape=lambda body: _repository(body, repo))

    def edit_repo(self, full_name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """``PATCH`` only the given fields and return the repository as the server now has it."""
        return self._call("PATCH", _repo_path(full_name), 200, payload=changes, shape=_repository)

    def set_topics(self, full_name: str, topics: list[str]) -> None:
        self._call("PUT", f"{_repo_path(full_name)}/topics", 204, payload={"topics": topics})

    def delete_repo(self, full_name: str) -> bool:
        """Delete the repository; False when it was already gone."""
        return self._call("DELETE", _repo_path(full_name), 204, 404) is not None

    def sync_mirror(self, full_name: str) -> None:
        # It only queues a sync, so it is safe to send again.
        self._call("POST", f"{_repo_path(full_name)}/mirror-sync", 200, retry_post=True)

    def dispatch_workflow(self, full_name: str, workflow_file: str, ref: str) -> None:
        path = f"{_repo_path(full_name)}/actions/workflows/{quote(workflow_file, safe='')}/dispatches"
        self._call("POST", path, 204, 201, payload={"ref": ref})

    def create_token(self, user: str, name: str, scopes: list[str]) -> dict[str, Any]:
        """``POST /users/{user}/tokens`` once (a second one would make a second token); the answer's ``sha1`` is the
        value, which Forgejo shows this once."""
        body = {"name": name, "scopes": scopes}
        return self._call("POST", f"/users/{quote(user, safe='')}/tokens", 201, payload=body, shape=_token)

    def list_tokens(self, user: str) -> list[dict[str, Any]]:
        """The user's tokens (id, name, scopes, token_last_eight; never a value), up to ``TOKEN_PAGES`` pages."""
        tokens: list[dict[str, Any]] = []
        for page in range(1, TOKEN_PAGES + 1):
            path = f"/users/{quote(user, safe='')}/tokens?page={page}&limit={TOKEN_PAGE_SIZE}"
            tokens += (listed := self._call("GET", path, 200, shape=_tokens))
            if len(listed) < TOKEN_PAGE_SIZE:
                break
        return tokens

    def delete_token(self, user: str, token_id: int) -> bool:
        """Revoke the token; False when it was already gone."""
        return self._call("DELETE", f"/users/{quote(user, safe='')}/tokens/{token_id}", 204, 404) is not None

    def wait_for_migration(self, why: str) -> dict[str, Any]:
        """Poll until the subject is neither mid-migration nor empty (``why`` says why we wait). The server clones
        under its own context, so it carries on after the client has gone; meanwhile the repository exists, empty and
        without ``mirror_interval``; a failed migration deletes it (404)."""
        total = MIGRATION_POLLS * 10.0 * self._backoff
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

    def _call(
        self,
        method: str,
        path: str,
        *ok: int,
        shape: Callable[[Any], str | None] = _object,
        payload: dict[str, Any] | None = None,
        ready: bool = False,
        retry_post: bool = False,
        migrate: bool = False,
    ) -> Any:
        """One call with its retries, redirects, deadline and size bound; its answer's JSON when the status is one
        of ``ok`` and ``shape`` finds nothing wrong with it, None for a 404 that ``ok`` allows."""
        timeout = self._migrate_timeout if migrate else self._timeout
        budget = READY_DEADLINE if ready else timeout + 2 * self._timeout
        retries, factor = READY_RETRIES if ready else RETRIES, self._backoff
        retry = _Retry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            # An empty allowed_methods would mean "every method" to urllib3 2.x, so POST is left out by name.
            allowed_methods={"GET", "PUT", "PATCH", "DELETE", *(["POST"] if retry_post else [])},
            status_forcelist=_TRANSIENT, backoff_factor=factor, backoff_max=(15.0 if ready else 10.0) * factor,
            raise_on_status=False,  # hand back the last 503 so the error names it
            respect_retry_after_header=False,  # a server's Retry-After must not stretch the bound
        )  # fmt: skip
        retry.deadline = deadline = time.monotonic() + budget
        where, url, reason = f"{self._subject}: {method} {API_PREFIX}{path}", self._base + path, ""
        try:
            with requests.Session() as session:
                session.mount("http://", adapter := HTTPAdapter(max_retries=retry))
                session.mount("https://", adapter)
                for _ in range(MAX_REDIRECTS):
                    # verify per request: a session-level value loses to REQUESTS_CA_BUNDLE.
                    with session.request(
                        method, url, json=payload, timeout=timeout, verify=self._verify, allow_redirects=False,
                        stream=True, auth=self._auth, headers=_HEADERS,
                    ) as response:  # fmt: skip
                        status, headers = response.status_code, response.headers
                        body = self._read(response, where, deadline, budget)
                    location = (
                        urljoin(url, headers["Location"]) if status in _REDIRECTS and "Location" in headers else ""
                    )
                    # Only a GET follows a redirect, and only within the configured origin.
                    if method != "GET" or not location or _origin(location) != _origin(self._base):
                        break
                    url = location
        except requests.exceptions.ReadTimeout:
            if migrate:
                raise MigrateAnswerLost(f"{where} got no answer within {timeout:g} s", resendable=False) from None
            reason = f"no answer within {timeout:g} s (not re-sent: repeating this call is not safe)"
        except requests.exceptions.SSLError as error:
            reason = self._tls_failure(error)
        except requests.RequestException as error:
            # requests passes a mid-answer disconnect on as a ProtocolError; a failed connect (nothing sent) is not.
            if migrate and error.args and isinstance(error.args[0], urllib3.exceptions.ProtocolError):
                raise MigrateAnswerLost(f"{where}: the connection dropped before the answer", resendable=True) from None
            reason = str(error)
        except (ValueError, TypeError, UnicodeError) as error:
            # Raised while building the request (http.client refuses a header with a newline, say); the text quotes
            # the header, credentials and all, escaped past redaction, so only the type is reported.
            reason = f"the request could not be built ({type(error).__name__}); check api_url and the credentials"
        if reason:  # `from None`: the chained urllib3 traceback adds nothing, and the provider host prints tracebacks.
            raise ForgejoApiError(redact(f"{where} failed: {reason}", self._secrets)) from None
        if status == 404 and 404 in ok:
            return None
        html = "html" in headers.get("Content-Type", "").lower() or body.lstrip()[:1] == b"<"
        try:
            value = json.loads(body) if body else {}
        except ValueError:  # UnicodeDecodeError included
            value = _NOT_JSON
        answered = f"{where} answered HTTP {status}"
        if status in ok:
            problem = ("an HTML page" if html else "a body that is not JSON") if value is _NOT_JSON else shape(value)
            if problem is None:
                return value
            message = f"{answered} with {problem}; is api_url pointing at Forgejo's API (https://<host>/api/v1)?"
        elif location and _origin(location) != _origin(self._base):
            message = (
                f"{answered}, redirecting to another origin ({_origin(location) or '?'}). Not followed, and no "
                "credentials were sent there: api_url must be Forgejo's own address."
            )
        elif status in _REDIRECTS:
            to = urlsplit(location).path or location if location else "(no Location header)"
            message = (
                f"{answered}, redirecting to {to}: the repository was renamed or moved in Forgejo. Rename it back, or "
                "run `pulumi refresh` and update the mirror's name in config."
            )
        else:
            message = f"{where} failed with HTTP {status}: {_forgejo_message(value, body, html)}"
        if migrate and status in _TRANSIENT:  # a gateway's answer: Forgejo may never have got the migrate
            raise MigrateAnswerLost(redact(message, self._secrets), resendable=True, status=status)
        raise ForgejoApiError(redact(message, self._secrets), status=status)

    def _read(self, response: requests.Response, where: str, deadline: float, budget: float) -> bytes:
        """The whole body within the size bound, one socket read at a time: a server dripping bytes is cut off at
        the deadline (a read timeout alone never would be)."""
        limit, status = self._limit, response.status_code
        declared = response.headers.get("Content-Length", "")
        too_big = f"{where} answered HTTP {status} with a body larger than max_response_bytes ({limit} bytes)"
        advice = ", and was not read further; is api_url pointing at Forgejo's API?"
        if declared.isdigit() and int(declared) > limit:
            raise ForgejoApiError(f"{too_big} ({declared} bytes announced){advice}")
        body, overdue = bytearray(), False
        try:
            # Past the deadline, only the end of the answer may still come (the retries may have used it all).
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                if overdue:
                    raise ForgejoApiError(
                        f"{where} answered HTTP {status} but had not sent its whole answer within the call's deadline "
                        f"of {budget:g} s; something between here and Forgejo is stalling"
                    )
                body += chunk
                if len(body) > limit:
                    raise ForgejoApiError(too_big + advice)
                overdue = time.monotonic() > deadline
        except urllib3.exceptions.ReadTimeoutError as error:
            raise requests.exceptions.ReadTimeout(error) from None
        except urllib3.exceptions.ProtocolError as error:
            raise requests.exceptions.ConnectionError(error) from None
        return bytes(body)

    def _tls_failure(self, error: BaseException) -> str:
        cause: Any = error  # requests' error wraps urllib3's, which wraps (as its reason or argument) ssl's
        while cause is not None and not isinstance(cause, ssl.SSLError):
            wrapped = (a for a in cause.args if isinstance(a, BaseException))
            cause = getattr(cause, "reason", None) or next(wrapped, cause.__context__)
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message
            if cause.verify_code in _NAME_MISMATCH:
                return (
                    f"TLS: the server's certificate is not valid for {urlsplit(self._base).hostname} ({detail}); "
                    "use a host name in api_url that the certificate names"
                )
            if cause.verify_code in _UNKNOWN_CA and isinstance(self._verify, str):
                return f"TLS: the server's certificate is not signed by the CA in ca_bundle ({detail}); {NO_CA_FIX}"
            if cause.verify_code in _UNKNOWN_CA:
                return (
                    f"TLS: the server's certificate is signed by a CA this machine does not trust ({detail}), "
                    f"and no CA is configured; {NO_CA_FIX}"
                )
            return f"TLS: the server's certificate was refused ({detail})"
        if (reason := getattr(cause, "reason", None) or "") in _NOT_TLS:
            return (
                "TLS: the server did not answer in TLS; it looks like plain http on an https:// URL. "
                "Use http:// in api_url, or the port where Forgejo serves https"
            )
        return f"TLS: the handshake failed ({reason or type(cause or error).__name__})"


def _forgejo_message(value: Any, body: bytes, html: bool) -> str:
    """Forgejo's ``{"message": ...}``, or what a body that is not Forgejo's JSON is (e.g. a proxy's error page)."""
    if isinstance(value, dict):
        # A production Forgejo blanks the message of a 500 for non-admin callers.
        return str(value.get("message") or "(Forgejo gave no message; its log has the details)")
    text = body.decode("utf-8", "replace")
    if html:
        title = _HTML_TITLE.search(text)
        named = f" titled {' '.join(title.group(1).split())[:100]!r}" if title else ""
        return f"an HTML page{named}, not Forgejo's JSON (a proxy or gateway answered)"
    return " ".join(text.split())[:200] or "(empty response)"


def _repo_path(full_name: str) -> str:
    owner, _, name = full_name.partition("/")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
