"""The loopback HTTP server the official SDKs talk to, and its control endpoints.

One lock serialises all state changes; faults are taken before the body is read so a "drop"
can close the connection mid-upload. ``/__control/*`` lies outside ``/v1`` so no SDK reaches it,
and lets tests in other processes read stats and change the scenario.
"""

from __future__ import annotations

import logging
import math
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from app.core.simulator import direct
from app.core.simulator.anthropic_api import AnthropicApi
from app.core.simulator.openai_api import OpenAIApi
from app.core.simulator.scenario import Fault, Scenario
from app.core.simulator.store import Store
from app.core.simulator.wire import (
    ANTHROPIC,
    ApiError,
    Request,
    Response,
    Route,
    error_body,
    json_response,
    status_phrase,
)

log = logging.getLogger(__name__)


def _bearer(req: Request) -> str | None:
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _masked(key: str) -> str:
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else "*" * len(key)


def _fault_error(fault: Fault, flavour: str) -> ApiError:
    """The error a status fault answers with, with retry hints the SDKs honour."""
    status = int(fault.status)
    headers: dict[str, str] = {}
    wait = fault.retry_after
    if wait is not None:
        headers = {"retry-after-ms": str(round(wait * 1000)), "retry-after": str(math.ceil(wait))}
    if status == 429:
        if flavour == ANTHROPIC:
            message = "[simulated] Number of request tokens has exceeded your per-minute rate limit."
        else:
            message = f"[simulated] Rate limit reached for requests. Please try again in {round((wait or 1) * 1000)}ms."
        return ApiError(429, message, code="rate_limit_exceeded", headers=headers)
    if status >= 500:
        message = f"[simulated] The server had an error while processing your request ({status_phrase(status)})."
        return ApiError(status, message, headers=headers)
    return ApiError(status, f"[simulated] {status_phrase(status)}", headers=headers)


class SimulatedService:
    """An offline stand-in for the OpenAI Batch/Files API and Anthropic Message Batches.

    Everything is kept in memory, or under ``state_dir`` so a restarted service still knows its
    batches. ``scenario`` may be changed (or replaced) between calls.
    """

    def __init__(
        self, state_dir: Path | None = None, scenario: Scenario | None = None, api_key: str | None = None
    ) -> None:
        self.scenario = scenario if scenario is not None else Scenario()
        if api_key is not None:
            self.scenario.api_key = api_key
        self._store = Store(state_dir)
        self._lock = threading.RLock()
        openai = OpenAIApi(self._store, lambda: self.scenario)
        anthropic = AnthropicApi(self._store, lambda: self.scenario)
        routes: list[Route] = [
            *openai.routes(),
            *anthropic.routes(),
            ("GET", r"/v1/models", self._models),
            ("GET", r"/__control/stats", lambda req: json_response(self.stats())),
            ("GET", r"/__control/scenario", lambda req: json_response(self.scenario.to_dict())),
            ("POST", r"/__control/scenario", self._set_scenario),
            ("POST", r"/__control/reset", self._reset),
        ]
        self._routes = [(method, re.compile(pattern), handler) for method, pattern, handler in routes]
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL (``port=0`` picks a free port)."""
        if self._server is not None:
            raise RuntimeError("the simulated service is already running")
        self._server = _Server((host, port), self)
        shown_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self._url = f"http://{shown_host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="batchlab-simulator", daemon=True
        )
        self._thread.start()
        return self._url

    def stop(self) -> None:
        """Stop serving and drop open connections (their clients see a closed connection)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the simulated service has not been started")
        return self._url

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    def stats(self) -> dict[str, Any]:
        """Counts of stored objects and of calls, e.g. to check what a client really sent."""
        with self._lock:
            store = self._store
            return {
                "openai_files": len(store.records("files")),
                "openai_batches": len(store.records("openai_batches")),
                "anthropic_batches": len(store.records("anthropic_batches")),
                "direct_calls": store.counters["direct_calls"],
                "http_requests": store.counters["http_requests"],
                "faults_fired": store.counters["faults_fired"],
                "auth_failures": store.counters["auth_failures"],
            }

    # ---- request handling ----------------------------------------------------------------------
    def take_fault(self, method: str, path: str) -> Fault | None:
        """The fault this API request runs into, if any (control calls never fault)."""
        if path.startswith("/__control/"):
            return None
        with self._lock:
            self._store.counters["http_requests"] += 1
            fault = self.scenario.take_fault(method, path)
            if fault is not None:
                self._store.counters["faults_fired"] += 1
            return fault

    def handle(self, req: Request, fault: Fault | None) -> Response:
        """Answer one request, rendering any error in the caller's provider shape."""
        try:
            with self._lock:
                if fault is not None and fault.status not in ("drop", "lost_response"):
                    raise _fault_error(fault, req.flavour)
                self._authenticate(req)
                response = self._route(req)
        except ApiError as exc:
            response = json_response(error_body(exc, req.flavour, req.request_id), exc.status)
            response.headers.update(exc.headers)
        except Exception:  # a simulator bug must look like a provider 500, not a dropped connection
            log.exception("simulated service failed on %s %s", req.method, req.path)
            error = ApiError(500, "[simulated] Internal error in the simulated service.")
            response = json_response(error_body(error, req.flavour, req.request_id), 500)
        response.headers["request-id" if req.flavour == ANTHROPIC else "x-request-id"] = req.request_id
        return response

    def _route(self, req: Request) -> Response:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(req.path)
            if match and method == req.method:
                return handler(req, **match.groupdict())
        raise ApiError(404, f"Invalid URL ({req.method} {req.path})")

    def _authenticate(self, req: Request) -> None:
        """Check the key like each provider: OpenAI Bearer only; Anthropic x-api-key, else Bearer."""
        key = self.scenario.api_key
        if not key or req.path.startswith("/__control/"):
            return
        if req.flavour == ANTHROPIC:
            sent = req.headers.get("x-api-key") or _bearer(req)
            problem = None if sent == key else "invalid x-api-key" if sent else "x-api-key header is required"
        else:
            sent = _bearer(req)
            problem = None if sent == key else (
                f"Incorrect API key provided: {_masked(sent)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys." if sent else
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        if problem is not None:
            self._store.counters["auth_failures"] += 1
            raise ApiError(401, problem, code="invalid_api_key" if sent else None)

    def _models(self, req: Request) -> Response:
        return json_response(direct.model_list(req.flavour == ANTHROPIC))

    def _set_scenario(self, req: Request) -> Response:
        """Merge the posted keys into the scenario, or replace it with ``?replace=true``.

        A replacement keeps the API key unless it names one: the key is the service's setup, not a test's script.
        """
        changes = req.json_object()
        try:
            if req.query.get("replace", "").lower() in ("1", "true", "yes"):
                self.scenario = Scenario.from_dict({"api_key": self.scenario.api_key} | changes)
            else:
                self.scenario = self.scenario.merged(changes)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Invalid scenario: {exc}") from exc
        return json_response(self.scenario.to_dict())

    def _reset(self, req: Request) -> Response:
        """Forget every file and batch and go back to the default scenario (keeping the API key)."""
        self._store.reset()
        self.scenario = Scenario(api_key=self.scenario.api_key)
        return json_response(self.stats())


class _Handler(BaseHTTPRequestHandler):
    """Reads a request (honouring faults), lets the service answer it, writes it back."""

    protocol_version = "HTTP/1.1"
    server: _Server
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 60

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add 40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def _serve(self) -> None:
        service = self.server.service
        fault = service.take_fault(self.command, self.path.partition("?")[0])
        dropping = fault is not None and fault.status == "drop"
        length = int(self.headers.get("Content-Length") or 0)
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        if dropping and (length or chunked):
            if length:
                self.rfile.read(length // 2)
            else:
                self.rfile.readline()
            self._hang_up()
            return
        body = self._read_chunked() if chunked else self.rfile.read(length) if length else b""
        host, port = self.server.server_address[:2]
        base_url = f"http://{self.headers.get('Host') or f'{host!s}:{port}'}"
        req = Request.parse(self.command, self.path, dict(self.headers.items()), body, base_url)
        response = service.handle(req, fault)
        if fault is not None and fault.status == "lost_response":
            self._hang_up()  # the work is done, the answer never arrives
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if dropping:
            self.wfile.write(response.body[: len(response.body) // 2])
            self._hang_up()
        else:
            self.wfile.write(response.body)

    def _read_chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def _hang_up(self) -> None:
        """Close the connection abruptly, as a broken network would."""
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server signature
        log.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: SimulatedService) -> None:
        self.service = service
        self.connections: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def drop_connections(self) -> None:
        for connection in list(self.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def run_standalone(
    port: int,
    state_dir: Path | None,
    api_key: str | None,
    scenario: Scenario | None = None,
    *,
    until_stdin_closes: bool = False,
) -> None:
    """Serve on 127.0.0.1:``port`` until interrupted (``python -m app simulate``); prints the URL first.

    With ``until_stdin_closes`` it also stops when standard input reaches its end: a parent
    process that starts it with a pipe gets it stopped when the parent exits, even by a crash.
    """
    service = SimulatedService(state_dir, scenario, api_key)
    url = service.start(port=port)
    print(f"BatchLab simulated batch service at {url} (OpenAI base URL {service.openai_base_url}). "
          "Press Ctrl+C to stop.", flush=True)
    stop = threading.Event()
    if until_stdin_closes:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
