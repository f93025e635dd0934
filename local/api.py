"""The API on loopback: HTTP requests become API Gateway (REST proxy) events for the handler.

Only what the proxy integration does for this API: method, path, headers, query string and body
in; status, headers and body out. One readable log line per request. And what the Cognito
authorizer does: a route that `infra.api.endpoints` does not mark public asks for a bearer
token, checked against the local issuer's keys (`local.auth`) and refused with 401 before
the handler runs; a verified token's claims go in ``requestContext.authorizer.claims`` as API
Gateway passes them (every value a string). The issuer's JWKS is served at
/.well-known/jwks.json, as Cognito publishes its own.

Long: an HTTP adapter that mirrors API Gateway's edge (lengths, methods, HEAD and OPTIONS,
tokens) in one place.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.api.endpoints import allowed_methods as api_methods
from infra.api.endpoints import endpoint_for
from infra.api.problems import problem_answer, status_name
from infra.correlation import HEADER, correlated
from infra.untrusted import printable
from local.auth import JWKS_PATH, InvalidToken, Verifier
from local.runners.lambda_runtime import Handler, LocalContext

logger = logging.getLogger("seatledger.http")  # not "...api": Powertools filters by substring
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
TIME_CLAIMS = ("exp", "iat", "auth_time")  # API Gateway passes these as dates in words
DRAIN_SECONDS = 30.0  # how long a refused body is read, so the client can finish and see why


def proxy_event(method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    url = urlsplit(target)
    query = parse_qs(url.query, keep_blank_values=True)
    text = body.decode("utf-8", errors="surrogateescape") if body else None
    return {
        "resource": "/{proxy+}",
        "path": url.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": url.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": url.path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "requestTimeEpoch": int(time.time() * 1000),
        },
        "body": text,
        "isBase64Encoded": False,
    }


def _json(status: int, body: Any, **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _header(answer: dict[str, Any], name: str) -> str | None:
    values = (answer.get("multiValueHeaders") or {}).get(name) or [None]
    found = (answer.get("headers") or {}).get(name, values[-1])
    return str(found) if found is not None else None


def allowed_methods(path: str) -> list[str]:
    """The methods served at `path` here: the API's, HEAD for GET, and OPTIONS."""
    methods = set(api_methods(urlsplit(path).path))
    if urlsplit(path).path == JWKS_PATH:
        methods.add("GET")
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"}) if methods else []


def gateway_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer hands them on: strings only, e.g.
    "Tue Apr 04 18:39:39 UTC 2023" for a time and "a,b" for a list of groups."""
    out = {}
    for name, value in claims.items():
        if name in TIME_CLAIMS and isinstance(value, int):
            value = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        elif isinstance(value, list):
            value = ",".join(map(str, value))
        out[name] = str(value)
    return out


def authorize(event: dict[str, Any], verifier: Verifier) -> dict[str, Any] | None:
    """None when the request may go on to the handler (claims added if it carries a verified
    token); else the 401 answer. Unknown routes go on too: the handler answers 404."""
    endpoint = endpoint_for(event["httpMethod"], event["path"])
    if endpoint is None:
        return None
    event["resource"] = event["requestContext"]["resourcePath"] = endpoint.path
    if endpoint.public:
        return None
    headers = {k.lower(): v for k, v in event["headers"].items()}
    scheme, _, token = str(headers.get("authorization") or "").strip().partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Send Authorization: Bearer <token>")
        claims = verifier.verify(token.strip())
    except InvalidToken as e:
        return problem_answer(401, "Unauthorized", str(e), headers={"WWW-Authenticate": "Bearer"})
    event["requestContext"]["authorizer"] = {"claims": gateway_claims(claims)}
    return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 resets connections when buyers click at once
    daemon_threads = True


class LocalApi:
    """Serves on ``host:port``, or on ``sock``: a socket already listening, which several
    processes share (each accepts connections from it), as several API instances would."""

    def __init__(
        self,
        handler: Handler,
        verifier: Verifier,
        host: str = "127.0.0.1",
        port: int = 8080,
        sock: socket.socket | None = None,
    ) -> None:
        api_handler = handler
        # One event at a time per process, as a Lambda instance takes them: Powertools' resolver
        # keeps the request it is resolving (event, route, caller) in process-wide state, so two
        # threads inside it would mix requests, and callers. Connections are still accepted and
        # read concurrently; several processes share the port (SEATLEDGER_API_WORKERS).
        one_at_a_time = threading.Lock()

        class Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _length(self) -> int | None:
                """The body's length; None once a refusal was sent."""
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    self.send_error(411, "Send the body with a Content-Length")
                    return None
                raw_length = (self.headers.get("Content-Length") or "0").strip()
                if not (raw_length.isascii() and raw_length.isdigit()):
                    self.send_error(400, "Bad Content-Length")
                    return None
                if int(raw_length) > MAX_BODY:
                    self.send_error(413, f"The body is over {MAX_BODY} bytes")
                    self._drain(int(raw_length))
                    return None
                return int(raw_length)

            def _drain(self, length: int) -> None:
                """Read (and drop) a refused body, bounded in time, so that the client is not
                reset mid-send and reads the answer instead of a broken pipe."""
                deadline = time.monotonic() + DRAIN_SECONDS
                self.connection.settimeout(1.0)
                try:
                    while length > 0 and time.monotonic() < deadline:
                        chunk = self.rfile.read1(min(length, 1 << 16))
                        if not chunk:
                            return
                        length -= len(chunk)
                except OSError:
                    return

            def handle_expect_100(self) -> bool:
                raw_length = (self.headers.get("Content-Length") or "0").strip()
                if raw_length.isascii() and raw_length.isdigit() and int(raw_length) > MAX_BODY:
                    self.send_error(413, f"The body is over {MAX_BODY} bytes")
                    return False  # the client sends no body
                return super().handle_expect_100()

            def send_error(
                self, code: int, message: str | None = None, explain: str | None = None
            ) -> None:
                """http.server's own refusals (bad request line, unknown method, a header
                too long...) in the API's JSON shape instead of an HTML page."""
                name = status_name(code)
                self.close_connection = True
                detail = message or HTTPStatus(code).phrase
                self._reply(problem_answer(code, name, detail, headers={"Connection": "close"}))
                what = f"{self.command or '-'} {getattr(self, 'path', '-')}"
                logger.info("%s %s", printable(what), code)

            def _serve(self, head: bool = False) -> None:
                started = time.perf_counter()
                length = self._length()
                if length is None:
                    return
                body = self.rfile.read(length)
                method = "GET" if head else self.command
                event = proxy_event(method, self.path, dict(self.headers.items()), body)
                try:
                    if (method, event["path"]) == ("GET", JWKS_PATH):
                        answer = _json(200, verifier.jwks)
                    elif refusal := authorize(event, verifier):
                        answer = refusal
                    else:
                        with one_at_a_time:
                            answer = api_handler(event, LocalContext("api"))
                except Exception:  # the handler maps every client error; this is ours
                    logger.exception("api handler failed")
                    answer = problem_answer(500, "InternalError", "A fault of the ledger's, logged")
                self._reply(answer, head=head)
                with correlated(_header(answer, HEADER)):  # the access line, with the request's id
                    logger.info(
                        "%s %s %s %.0fms",
                        self.command,
                        printable(self.path),
                        answer["statusCode"],
                        (time.perf_counter() - started) * 1000,
                    )

            def _reply(self, answer: dict[str, Any], head: bool = False) -> None:
                """The answer; for HEAD, its headers only (with the GET's Content-Length)."""
                raw = answer.get("body") or ""
                data = base64.b64decode(raw) if answer.get("isBase64Encoded") else raw.encode()
                self.send_response(int(answer["statusCode"]))
                headers = dict(answer.get("headers") or {})
                for name, values in (answer.get("multiValueHeaders") or {}).items():
                    headers.setdefault(name, values[-1])
                for name, value in headers.items():
                    if name.lower() != "content-length":
                        self.send_header(name, str(value))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            def _route(self) -> None:
                """A method the path has goes to the handler; another is a 405 here, naming
                the methods this adapter serves there (HEAD and OPTIONS too)."""
                allowed = allowed_methods(self.path)
                if allowed and self.command not in allowed:
                    self._not_allowed()
                else:
                    self._serve()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _route  # noqa: N815

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(head=True)  # answered as GET is, without the body

            def do_OPTIONS(self) -> None:  # noqa: N802
                if (length := self._length()) is None:
                    return
                self.rfile.read(length)
                methods = allowed_methods(self.path)
                if not methods:
                    self._reply(problem_answer(404, "NotFound", "No such route"))
                    return
                self.send_response(204)
                self.send_header("Allow", ", ".join(methods))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def __getattr__(self, name: str) -> Any:
                if name.startswith("do_"):  # TRACE, CONNECT or any other method
                    return self._not_allowed
                raise AttributeError(name)

            def _not_allowed(self) -> None:
                if (length := self._length()) is None:
                    return
                self.rfile.read(length)
                allow = ", ".join(allowed_methods(self.path)) or "GET"
                reason = f"{printable(self.command)} is not served here; allowed: {allow}"
                self._reply(
                    problem_answer(405, "MethodNotAllowed", reason, headers={"Allow": allow})
                )
                logger.info("%s %s 405", printable(self.command), printable(self.path))

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # one line per request is logged by _serve

        if sock is None:
            self.server = _Server((host, port), Request)
        else:
            self.server = _Server(sock.getsockname(), Request, bind_and_activate=False)
            self.server.socket.close()
            self.server.socket = sock
        host, port = self.server.socket.getsockname()[:2]
        self.url = f"http://{host}:{port}"

    def start(self) -> LocalApi:
        threading.Thread(target=self.server.serve_forever, daemon=True, name="api").start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
