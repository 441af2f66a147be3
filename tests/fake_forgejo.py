"""A loopback fake of the Forgejo 13 API endpoints the mirror provider uses.

Behaviour follows notes/forgejo-api.md (taken from Forgejo's source): request
bodies are validated against the swagger schemas (MigrateRepoOptions,
EditRepoOption, DispatchWorkflowOption, RepoTopicOptions) and, unlike Forgejo,
unknown fields are refused too, so a typo in the client cannot pass silently.
Statuses and messages are Forgejo's; error bodies are ``{"message": ..., "url": ...}``.
Topics follow Forgejo 13's ``SanitizeAndValidateTopics`` (trimmed, lower-cased,
deduplicated, ``^[a-z0-9][-.a-z0-9]*$`` and at most 35 characters, at most 25
per repository), and a GitHub migration imports ``github_topics``.

Access tokens follow routers/api/v1/user/app.go and models/auth/access_token_scope.go:
``POST``/``DELETE /users/{u}/tokens[/{id}]`` need the admin's password login (a token
gets 401 "auth method not allowed"; the fake's only login is a site admin, so
reqSelfOrAdmin always passes), a name is unique per user (400), scopes are
checked against Forgejo's list and stored normalised (``write:x`` drops
``read:x``, every write is ``all``; "" and "sudo" are skipped), the list is
paged (``page``, ``limit`` up to 50) and never shows a value, an unknown user is a 404.

Every request is recorded (method, path, body, headers) so tests can assert
request budgets. Faults are injected with ``script(method, path, *replies)``:
scripted replies are consumed first, in order, before the normal behaviour.
``Stream`` sends a large or slowly dripping body.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import ssl
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import jsonschema
import referencing
from referencing.jsonschema import DRAFT4

from tests import reference

SWAGGER = reference.load_json("forgejo-swagger.v1.json")
VERSION = "13.0.3+gitea-1.22.0"
_SWAGGER_URI = "urn:forgejo:swagger"
NOT_FOUND = "The target couldn't be found."
MAX_TOPICS = 25  # repo_model.MaxTopicsPerRepo
_TOPIC = re.compile(r"[a-z0-9][-.a-z0-9]*")
# Forgejo's allAccessTokenScopes: the categories in its order, write before read in each.
TOKEN_CATEGORIES = ("activitypub", "admin", "misc", "notification", "organization", "package", "issue", "repository",
                    "user")  # fmt: skip
TOKEN_SCOPE_ORDER = ("public-only", *(f"{level}:{c}" for c in TOKEN_CATEGORIES for level in ("write", "read")))
_ALL_WRITES = ",".join(f"write:{c}" for c in TOKEN_CATEGORIES)
MAX_PAGE_SIZE = 50  # [api] MAX_RESPONSE_ITEMS

# The fake reads Go durations by its own rules, written apart from components/durations.py, so that a bug in the
# program's parser fails a test instead of agreeing with itself. Go's time.ParseDuration: an optional sign, then
# ASCII-digit numbers (with an optional fraction), each with a unit; "0" alone needs none; at most 2**63-1 ns.
_GO_ELEMENT = r"(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(ns|us|\u00b5s|\u03bcs|ms|s|m|h)"
_GO_DURATION = re.compile(rf"([-+]?)((?:{_GO_ELEMENT})+)")
_GO_UNIT_NS = {"ns": 1, "us": 1000, "\u00b5s": 1000, "\u03bcs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
               "h": 3600 * 10**9}  # fmt: skip


def go_duration(text: str) -> int:
    """Nanoseconds of a Go duration string; ValueError where Go answers `time: invalid duration`."""
    if text in ("0", "+0", "-0"):
        return 0
    match = _GO_DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f'time: invalid duration "{text}"')
    total = Fraction(0)
    for whole, fraction, bare_fraction, unit in re.findall(_GO_ELEMENT, match[2]):
        digits = fraction if whole else bare_fraction
        total += (int(whole or 0) + Fraction(int(digits or 0), 10 ** len(digits))) * _GO_UNIT_NS[unit]
    if total > 2**63 - 1:
        raise ValueError(f'time: invalid duration "{text}"')
    return -int(total) if match[1] == "-" else int(total)


def go_duration_string(nanoseconds: int) -> str:
    """Go's Duration.String(): whole hours and minutes, then seconds with a trimmed fraction; below a second the
    largest of ms, \u00b5s, ns that is at least 1."""

    def decimal(amount: int, exponent: int) -> str:
        text = f"{Decimal(amount).scaleb(-exponent):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    if nanoseconds == 0:
        return "0s"
    if nanoseconds < 10**9:
        unit, exponent = next((u, e) for u, e in (("ms", 6), ("\u00b5s", 3), ("ns", 0)) if nanoseconds >= 10**e)
        return decimal(nanoseconds, exponent) + unit
    hours, rest = divmod(nanoseconds, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + decimal(rest, 9) + "s"


@dataclass
class Reply:
    """A scripted answer. ``delay`` sleeps first (use it to outlast a client timeout)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Stream:
    """A scripted answer whose body is ``size`` filler bytes, sent ``chunk`` bytes at a time every ``interval`` s.

    ``announce_length=False`` leaves out Content-Length: the body then ends when the connection closes.
    """

    status: int
    size: int
    chunk: int = 64 * 1024
    interval: float = 0.0
    announce_length: bool = True


@dataclass
class SlowMigration:
    """For POST /repos/migrate: create the repo as "being migrated", sleep, then finish or fail.

    Forgejo keeps cloning after the client has gone; meanwhile GET shows the
    repo empty and with an empty mirror_interval, and a failed migration deletes it.
    """

    delay: float
    succeed: bool = True
    drop_connection: bool = False  # hang up on the client once the migration has started (a proxy reset)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


def _load_validators() -> dict[str, jsonschema.Draft4Validator]:
    spec = SWAGGER
    registry: referencing.Registry = referencing.Registry().with_resource(_SWAGGER_URI, DRAFT4.create_resource(spec))
    validators = {}
    for name in (
        "MigrateRepoOptions", "EditRepoOption", "DispatchWorkflowOption", "RepoTopicOptions", "CreateAccessTokenOption"
    ):  # fmt: skip
        schema = {"$ref": f"{_SWAGGER_URI}#/definitions/{name}"}
        validators[name] = jsonschema.Draft4Validator(schema, registry=registry)
    return validators


def swagger_properties(definition: str) -> set[str]:
    return set(SWAGGER["definitions"][definition]["properties"])


_VALIDATORS = _load_validators()
_KNOWN_FIELDS = {name: swagger_properties(name) for name in _VALIDATORS}


class FakeForgejo:
    """Start with ``with FakeForgejo() as fake:``; ``fake.api_url`` is the base URL the provider needs."""

    def __init__(
        self,
        *,
        username: str = "forgejo_admin",
        password: str = "admin-password",
        token: str = "",
        owners: tuple[str, ...] = ("forgejo_admin", "goldentooth"),
        min_interval: str = "5m",
        tls_context: ssl.SSLContext | None = None,
        port: int = 0,
    ) -> None:
        self.username, self.password, self.token = username, password, token
        self.owners = {owner.lower(): owner for owner in owners}
        self.min_interval = min_interval
        self.actions_enabled = True  # False models [actions] ENABLED=false: has_actions is silently ignored
        self.actions_on_new_mirrors = False  # Forgejo >= 12: mirrors start without the Actions unit
        self.workflows: set[str] = {"ci.yml"}
        self.github_description = "Model Context Protocol server (description imported from GitHub)"
        self.github_topics = ["mcp", "model-context-protocol"]
        self.requests: list[Recorded] = []
        self.schema_violations: list[str] = []
        self.repos: dict[int, dict[str, Any]] = {}
        self.tokens: dict[int, dict[str, Any]] = {}  # id -> {id, user, name, sha1, token_last_eight, scope}
        self._redirects: dict[tuple[str, str], int] = {}
        self._scripts: dict[tuple[str, str], deque[Reply | Stream | SlowMigration]] = defaultdict(deque)
        self._next_id = 1
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        if tls_context is not None:
            self._server.socket = tls_context.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls_context else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self.api_url = f"{self.url}/api/v1"
        # A short poll interval keeps shutdown (and so every test's teardown) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> FakeForgejo:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- test helpers ----------------------------------------------------

    def script(self, method: str, path: str, *replies: Reply | Stream | SlowMigration) -> None:
        """Queue answers for ``method path`` (path as sent, e.g. "/api/v1/repos/migrate")."""
        with self._lock:
            self._scripts[(method, path)].extend(replies)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for r in self.requests if (method in (None, r.method)) and (path in (None, r.path)))

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def bodies(self, method: str, path: str) -> list[Any]:
        return [r.body for r in self.requests if r.method == method and r.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        mirror: bool = True,
        original_url: str = "",
        mirror_interval: str = "8h0m0s",
        has_actions: bool = False,
        private: bool = False,
        description: str = "",
        empty: bool = False,
        topics: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        with self._lock:
            repo = self._new_repo(owner, name, original_url, private, description)
            repo.update(mirror=mirror, mirror_interval=mirror_interval if mirror else "", has_actions=has_actions)
            repo.update(empty=empty, topics=list(topics))
            return repo

    def repo(self, full_name: str) -> dict[str, Any] | None:
        owner, _, name = full_name.partition("/")
        return self._find(owner, name)

    def rename(self, full_name: str, new_name: str) -> None:
        """Rename as the web UI does: the old path then answers 301 to the new one."""
        with self._lock:
            repo = self.repo(full_name)
            assert repo is not None
            owner, _, old_name = full_name.partition("/")
            self._redirects[(owner.lower(), old_name.lower())] = repo["id"]
            self._set_name(repo, new_name)

    # -- behaviour -------------------------------------------------------

    def token_values(self, user: str) -> dict[str, str]:
        """The user's tokens by name: their values, as only Forgejo's database knows them."""
        return {t["name"]: t["sha1"] for t in self.tokens.values() if t["user"] == user.lower()}

    def handle(
        self, method: str, path: str, body: Any, headers: dict[str, str], query: str = ""
    ) -> Reply | Stream | SlowMigration:
        with self._lock:
            self.requests.append(Recorded(method, path, body, headers))
            scripted = self._scripts.get((method, path))
            if scripted:
                return scripted.popleft()
        if path == "/api/v1/version" and method == "GET":
            return Reply(200, {"version": VERSION})
        if not self._authorised(headers.get("Authorization", "")):
            return self._error(401, "user does not exist [uid: 0, name: ]")
        parts = path.removeprefix("/api/v1/").split("/")
        with self._lock:
            if parts == ["repos", "migrate"] and method == "POST":
                return self._migrate(body, None)
            if parts[0] == "repositories" and len(parts) == 2 and method == "GET":
                repo = self.repos.get(int(parts[1])) if parts[1].isdigit() else None
                return Reply(200, repo) if repo else self._error(404, NOT_FOUND)
            if parts[0] == "repos" and len(parts) >= 3:
                return self._repo_route(method, parts[1], parts[2], parts[3:], body)
            if parts[0] == "users" and len(parts) in (3, 4) and parts[2] == "tokens":
                password_login = headers.get("Authorization", "").startswith("Basic ")
                return self._token_route(method, parts[1], parts[3:], body, parse_qs(query), password_login)
        return self._error(404, NOT_FOUND)

    def _token_route(
        self, method: str, user: str, rest: list[str], body: Any, query: dict[str, list[str]], password_login: bool
    ) -> Reply:
        if user.lower() not in self.owners:
            return self._error(404, f"user redirect does not exist [name: {user.lower()}]")
        mine = sorted((t for t in self.tokens.values() if t["user"] == user.lower()), key=lambda t: t["id"])
        if method == "GET" and not rest:
            limit = min(int(query.get("limit", ["30"])[0]) or 30, MAX_PAGE_SIZE)
            start = (max(int(query.get("page", ["1"])[0]), 1) - 1) * limit
            listed = [{key: t[key] for key in ("id", "name", "token_last_eight")} | {"scopes": t["scope"].split(",")}
                      for t in mine[start : start + limit]]  # fmt: skip
            return Reply(200, listed, {"X-Total-Count": str(len(mine))})
        if method not in ("POST", "DELETE") or (method == "POST") == bool(rest):
            return self._error(404, NOT_FOUND)
        if not password_login:
            return self._error(401, "auth method not allowed")
        if method == "DELETE":
            key = rest[0]
            found = [t for t in mine if (str(t["id"]) == key if key.isdigit() else t["name"] == key)]
            if len(found) != 1:
                return self._error(404 if not found else 422, NOT_FOUND if not found else "multiple matches")
            del self.tokens[found[0]["id"]]
            return Reply(204)
        problem = self._schema_problem("CreateAccessTokenOption", body)
        if problem or not body.get("name"):
            return self._error(422, problem or "[Name]: Required")
        if any(t["name"] == body["name"] for t in mine):
            return self._error(400, "access token name has been used already")
        try:
            scope = normalise_scopes(body.get("scopes") or [])
        except ValueError as error:
            return self._error(400, f"invalid access token scope provided: {error}")
        if not scope:
            return self._error(400, "access token must have a scope")
        token_id, value = self._next_id, secrets.token_hex(20)
        self._next_id += 1
        self.tokens[token_id] = {"id": token_id, "user": user.lower(), "name": body["name"], "sha1": value,
                                 "token_last_eight": value[-8:], "scope": scope}  # fmt: skip
        return Reply(201, {"id": token_id, "name": body["name"], "sha1": value, "token_last_eight": value[-8:],
                           "scopes": scope.split(",")})  # fmt: skip

    def run_slow_migration(self, body: Any, slow: SlowMigration, started: Callable[[], None]) -> Reply:
        return self._migrate(body, slow, started)

    def _authorised(self, header: str) -> bool:
        if self.token and header == f"token {self.token}":
            return True
        if self.password and header.startswith("Basic "):
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return header == f"Basic {expected}"
        return False

    def _repo_route(self, method: str, owner: str, name: str, rest: list[str], body: Any) -> Reply:
        redirect = self._redirects.get((owner.lower(), name.lower()))
        repo = self._find(owner, name)
        if repo is None and redirect in self.repos:
            target = self.repos[redirect]["full_name"]
            location = "/".join(["/api/v1/repos", target, *rest])
            return Reply(301, None, {"Location": location})
        if repo is None:
            return self._error(404, NOT_FOUND)
        if not rest:
            if method == "GET":
                return Reply(200, repo)
            if method == "PATCH":
                return self._edit(repo, body)
            if method == "DELETE":
                del self.repos[repo["id"]]
                return Reply(204)
        if rest == ["topics"] and method == "PUT":
            return self._set_topics(repo, body)
        if rest == ["mirror-sync"] and method == "POST":
            if not repo["mirror"]:
                return self._error(400, "Repository is not a mirror")
            return Reply(200)
        if len(rest) == 4 and rest[:2] == ["actions", "workflows"] and rest[3] == "dispatches" and method == "POST":
            return self._dispatch(repo, rest[2], body)
        return self._error(404, NOT_FOUND)

    def _migrate(self, body: Any, slow: SlowMigration | None, started: Callable[[], None] = lambda: None) -> Reply:
        problem = self._schema_problem("MigrateRepoOptions", body)
        if problem:
            return self._error(422, problem)
        owner = body.get("repo_owner") or self.username
        if owner.lower() not in self.owners:
            return self._error(422, f"user redirect does not exist [name: {owner.lower()}]")
        clone = urlsplit(body["clone_addr"])
        if clone.username or clone.password:
            return self._error(422, "The URL contains credentials.")
        if clone.scheme not in ("http", "https", "git"):
            return self._error(422, "Invalid url")
        if self._find(owner, body["repo_name"]) is not None:
            return self._error(409, "The repository with the same name already exists.")
        description = body.get("description", "")
        if body.get("service") == "github" and not description:
            description = self.github_description  # the GitHub downloader imports it
        repo = self._new_repo(self.owners[owner.lower()], body["repo_name"], body["clone_addr"],
                              bool(body.get("private")), description)  # fmt: skip
        repo.update(mirror=bool(body.get("mirror")), mirror_interval="", has_actions=self.actions_on_new_mirrors)
        repo["empty"] = True  # until the clone is in
        if body.get("service") == "github":
            repo["topics"] = list(self.github_topics)  # the GitHub downloader imports them
        if slow is not None:
            started()
            self._lock.release()  # let GETs see the half-migrated repository meanwhile
            try:
                time.sleep(slow.delay)
            finally:
                self._lock.acquire()
            if not slow.succeed:
                del self.repos[repo["id"]]
                return self._error(500, "migration failed")
        # Forgejo checks the interval only after the whole clone, and a failure is a 500.
        interval = body.get("mirror_interval") or "8h"
        try:
            nanoseconds = go_duration(interval)
        except ValueError as error:
            del self.repos[repo["id"]]
            return self._error(500, str(error))
        if nanoseconds != 0 and nanoseconds < go_duration(self.min_interval):
            del self.repos[repo["id"]]
            return self._error(
                500, f"interval {go_duration_string(nanoseconds)} is set below Minimum Interval of "
                f"{go_duration_string(go_duration(self.min_interval))}",
            )  # fmt: skip
        repo["mirror_interval"] = go_duration_string(nanoseconds) if repo["mirror"] else ""
        repo["empty"] = False
        return Reply(201, repo)

    def _edit(self, repo: dict[str, Any], body: Any) -> Reply:
        problem = self._schema_problem("EditRepoOption", body)
        if problem:
            return self._error(422, problem)
        if "archived" in body and repo["mirror"]:
            return self._error(422, "repo is a mirror, cannot archive/un-archive")
        if "mirror_interval" in body and repo["mirror"]:
            try:
                nanoseconds = go_duration(body["mirror_interval"])
            except ValueError as error:
                return self._error(422, str(error))
            minimum = go_duration(self.min_interval)
            if nanoseconds != 0 and nanoseconds < minimum:
                return self._error(
                    422, f"invalid mirror interval: {go_duration_string(nanoseconds)} is below minimum interval: "
                    f"{go_duration_string(minimum)}",
                )  # fmt: skip
            repo["mirror_interval"] = go_duration_string(nanoseconds)
        if "name" in body:
            self._set_name(repo, body["name"])
        for key in ("private", "description"):
            if key in body:
                repo[key] = body[key]
        if "has_actions" in body and self.actions_enabled:
            repo["has_actions"] = body["has_actions"]
        return Reply(200, repo)

    def _set_topics(self, repo: dict[str, Any], body: Any) -> Reply:
        """PUT /repos/{owner}/{repo}/topics: Forgejo 13's UpdateTopics and SanitizeAndValidateTopics."""
        problem = self._schema_problem("RepoTopicOptions", body)
        if problem:
            return self._error(422, problem)
        valid: list[str] = []
        invalid: list[str] = []
        for topic in body.get("topics") or []:
            topic = topic.strip().lower()
            if not topic or topic in valid:
                continue
            (valid if len(topic) <= 35 and _TOPIC.fullmatch(topic) else invalid).append(topic)
        if len(valid) > MAX_TOPICS:
            return Reply(422, {"invalidTopics": None, "message": "Exceeding maximum number of topics per repo"})
        if invalid:
            return Reply(422, {"invalidTopics": invalid, "message": "Topic names are invalid"})
        repo["topics"] = valid
        return Reply(204)

    def _dispatch(self, repo: dict[str, Any], workflow: str, body: Any) -> Reply:
        problem = self._schema_problem("DispatchWorkflowOption", body)
        if problem:
            return self._error(422, problem)
        if not repo["has_actions"]:
            return self._error(404, NOT_FOUND)
        if workflow not in self.workflows:
            return self._error(500, "workflow not found")
        return Reply(204)

    def _schema_problem(self, definition: str, body: Any) -> str | None:
        problem: str | None
        if not isinstance(body, dict):
            problem = f"{definition}: body is not a JSON object"
        else:
            errors = [error.message for error in _VALIDATORS[definition].iter_errors(body)]
            unknown = sorted(set(body) - _KNOWN_FIELDS[definition])
            errors += [f"unknown field {name!r}" for name in unknown]
            problem = f"{definition}: {'; '.join(errors)}" if errors else None
        if problem:
            self.schema_violations.append(problem)
        return problem

    def _new_repo(self, owner: str, name: str, original_url: str, private: bool, description: str) -> dict[str, Any]:
        clone = urlsplit(original_url)
        netloc = f"{clone.hostname}:{clone.port}" if clone.port else clone.hostname or ""
        sanitised = urlunsplit(clone._replace(netloc=netloc)) if original_url else ""  # as SanitizedOriginalURL
        repo_id, self._next_id = self._next_id, self._next_id + 1
        repo: dict[str, Any] = {
            "id": repo_id,
            "owner": {"login": owner},
            "original_url": sanitised,
            "private": private,
            "description": description,
            "default_branch": "main",
            "empty": False,
            "archived": False,
            "topics": [],
        }
        self._set_name(repo, name)
        self.repos[repo_id] = repo
        return repo

    def _set_name(self, repo: dict[str, Any], name: str) -> None:
        owner = repo["owner"]["login"]
        repo.update(
            name=name,
            full_name=f"{owner}/{name}",
            html_url=f"{self.url}/{owner}/{name}",
            clone_url=f"{self.url}/{owner}/{name}.git",
        )

    def _find(self, owner: str, name: str) -> dict[str, Any] | None:
        wanted = f"{owner}/{name}".lower()
        return next((repo for repo in self.repos.values() if repo["full_name"].lower() == wanted), None)

    def _error(self, status: int, message: str) -> Reply:
        return Reply(status, {"message": message, "url": f"{self.url}/api/swagger"})


def normalise_scopes(scopes: list[str]) -> str:
    """Forgejo's AccessTokenScope.Normalize: unknown scopes refused, the rest as few as say the same."""
    wanted: set[str] = set()
    for scope in ",".join(scopes).split(","):
        if scope in ("", "sudo"):
            continue
        if scope == "all":
            wanted |= {f"write:{category}" for category in TOKEN_CATEGORIES}
        elif scope in TOKEN_SCOPE_ORDER:
            wanted.add(scope)
        else:
            raise ValueError(f"invalid access token scope: {scope}")
    kept = [s for s in TOKEN_SCOPE_ORDER if s in wanted and not (s.startswith("read:") and f"write:{s[5:]}" in wanted)]
    return ",".join(kept).replace(_ALL_WRITES, "all")


def _handler_for(fake: FakeForgejo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            url = urlsplit(self.path)
            reply = fake.handle(self.command, url.path, body, dict(self.headers.items()), url.query)
            if isinstance(reply, SlowMigration):
                started = self._hang_up if reply.drop_connection else lambda: None
                with fake._lock:
                    reply = fake.run_slow_migration(body, reply, started)
            try:
                if isinstance(reply, Stream):
                    self._stream(reply)
                    return
                if reply.delay:
                    time.sleep(reply.delay)
                # A str body is sent as plain text, the way a proxy's error page arrives.
                is_text = isinstance(reply.body, str)
                body = reply.body
                payload = b"" if body is None else body.encode() if is_text else json.dumps(body).encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if payload and "Content-Type" not in reply.headers:
                    content_type = "text/plain" if is_text else "application/json"
                    self.send_header("Content-Type", f"{content_type};charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up or was hung up on (timeout tests); Forgejo would carry on too

        def _stream(self, reply: Stream) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            if reply.announce_length:
                self.send_header("Content-Length", str(reply.size))
            self.end_headers()
            block = b" " * reply.chunk
            for sent in range(0, reply.size, reply.chunk):
                self.wfile.write(block[: reply.size - sent])
                self.wfile.flush()
                time.sleep(reply.interval)

        def _hang_up(self) -> None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
