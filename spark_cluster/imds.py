"""A small IMDSv2 client, and a local stand-in for IMDS that answers what a test or a local
run says.

The lifecycle agent reads two paths every few seconds; the stand-in lets the very same agent
code run against a fake HTTP server (tests) or against the emulator's Auto Scaling state
(``python -m local_deploy cluster``), with the same token handshake as EC2. Standard library
only: this module is shipped to the instances.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

IMDS_BASE_URL = "http://169.254.169.254"
TOKEN_PATH = "/latest/api/token"
TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
TARGET_LIFECYCLE_STATE = "latest/meta-data/autoscaling/target-lifecycle-state"
SPOT_INSTANCE_ACTION = "latest/meta-data/spot/instance-action"
INSTANCE_ID = "latest/meta-data/instance-id"


class ImdsError(RuntimeError):
    """IMDS could not be read; the message says which request failed and what to check."""


class ImdsClient:
    """IMDSv2 reads: a session token first (PUT), then GETs that carry it.

    The token is fetched again when IMDS answers 401 (it expired), so a long-running agent
    needs no clock for it. A 404 means "no such data" (no Spot notice yet, or not in an Auto
    Scaling group) and reads as None.
    """

    def __init__(
        self, base_url: str = IMDS_BASE_URL, *, timeout_s: float = 2.0, token_ttl_s: int = 21600
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.token_ttl_s = token_ttl_s
        self._token: str | None = None

    def _fetch_token(self) -> str:
        request = urllib.request.Request(
            f"{self.base_url}{TOKEN_PATH}",
            method="PUT",
            headers={TOKEN_TTL_HEADER: str(self.token_ttl_s)},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                token: str = response.read().decode().strip()
        except (urllib.error.URLError, OSError) as error:
            raise ImdsError(
                f"IMDSv2 token request (PUT {self.base_url}{TOKEN_PATH}) failed: {error}. "
                "Check that the instance metadata service is enabled and that the launch "
                "template's hop limit lets this process reach it."
            ) from error
        if not token:
            raise ImdsError(f"IMDSv2 token request (PUT {self.base_url}{TOKEN_PATH}) was empty")
        return token

    def get(self, path: str) -> str | None:
        """The value at ``path`` (relative to the base URL), or None when IMDS has none (404)."""
        for attempt in range(2):
            if self._token is None:
                self._token = self._fetch_token()
            request = urllib.request.Request(
                f"{self.base_url}/{path.lstrip('/')}", headers={TOKEN_HEADER: self._token}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    value: str = response.read().decode().strip()
                    return value
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None
                if error.code == 401 and attempt == 0:
                    self._token = None  # expired: fetch a new one and retry once
                    continue
                raise ImdsError(f"IMDSv2 GET {path} failed: HTTP {error.code}") from error
            except (urllib.error.URLError, OSError) as error:
                raise ImdsError(f"IMDSv2 GET {path} failed: {error}") from error
        raise ImdsError(f"IMDSv2 GET {path} failed: the token was refused twice")

    def target_lifecycle_state(self) -> str | None:
        """InService, Terminated, Standby, Warmed:*... or None outside an Auto Scaling group."""
        return self.get(TARGET_LIFECYCLE_STATE)

    def spot_instance_action(self) -> dict[str, Any] | None:
        """The two-minute Spot notice, e.g. ``{"action": "terminate", "time": "..."}``."""
        text = self.get(SPOT_INSTANCE_ACTION)
        if not text:
            return None
        try:
            notice = json.loads(text)
        except json.JSONDecodeError as error:
            raise ImdsError(f"IMDSv2 {SPOT_INSTANCE_ACTION} is not JSON: {text[:80]!r}") from error
        return notice if isinstance(notice, dict) else None

    def instance_id(self) -> str:
        value = self.get(INSTANCE_ID)
        if not value:
            raise ImdsError(f"IMDSv2 {INSTANCE_ID} is empty")
        return value


# --- a local stand-in ------------------------------------------------------------------------

#: A path's answer: a string, or None for 404; called on every request.
Answer = Callable[[], "str | None"]  # quoted: evaluated at import, and AL2023 runs Python 3.9


class LocalImds:
    """An IMDSv2 look-alike on 127.0.0.1, in a thread: token PUT, then GETs with the token.

    ``answers`` maps a path (as in :data:`TARGET_LIFECYCLE_STATE`) to a string or to a
    callable returning one (None: 404). ``refuse_tokens`` makes the token PUT fail with 403,
    as a wrong hop limit or a disabled endpoint would. Requests are recorded in ``requests``.
    """

    TOKEN = "local-imds-token"

    def __init__(
        self, answers: Mapping[str, str | Answer | None], *, refuse_tokens: bool = False
    ) -> None:
        self.answers: dict[str, str | Answer | None] = dict(answers)
        self.refuse_tokens = refuse_tokens
        self.requests: list[tuple[str, str]] = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"  # the address the server is bound to above

    def set(self, path: str, answer: str | Answer | None) -> None:
        self.answers[path] = answer

    def start(self) -> LocalImds:
        self._thread.start()
        return self

    def __enter__(self) -> LocalImds:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str) -> str | None:
        answer = self.answers.get(path.lstrip("/"))
        return answer() if callable(answer) else answer

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        imds = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: the agent logs what matters

            def _reply(self, status: int, body: str = "") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                imds.requests.append(("PUT", self.path))
                if self.path != TOKEN_PATH or imds.refuse_tokens:
                    self._reply(403, "Forbidden")
                elif not self.headers.get(TOKEN_TTL_HEADER):
                    self._reply(400, "Missing TTL header")
                else:
                    self._reply(200, LocalImds.TOKEN)

            def do_GET(self) -> None:
                imds.requests.append(("GET", self.path))
                if self.headers.get(TOKEN_HEADER) != LocalImds.TOKEN:
                    self._reply(401, "Unauthorized")  # IMDSv1 is refused, as on the instances
                    return
                value = imds._answer(self.path)
                if value is None:
                    self._reply(404, "Not Found")
                else:
                    self._reply(200, value)

        return Handler
