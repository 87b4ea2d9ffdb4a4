"""A small HTTPS client for the REST API tests: http.client over TLS (the gateway's certificate is
self-signed: encrypted, not verified), one connection per request from a chosen loopback address,
every wait bounded.
"""
from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass, field

TIMEOUT_S = 15.0


def tls_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class Api:
    port: int
    source: str = "127.0.0.1"
    cookie: str | None = None
    csrf: str | None = None
    bearer: str | None = None
    extra: dict = field(default_factory=dict)

    def connection(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=tls_context(),
                                           timeout=TIMEOUT_S, source_address=(self.source, 0))

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                csrf: bool = True) -> Answer:
        all_headers = dict(self.extra)
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            all_headers["Content-Type"] = "application/json"
        if self.cookie:
            all_headers["Cookie"] = self.cookie
        if self.csrf and csrf and method not in ("GET", "HEAD"):
            all_headers["X-CSRF-Token"] = self.csrf
        if self.bearer:
            all_headers["Authorization"] = f"Bearer {self.bearer}"
        all_headers.update(headers or {})
        conn = self.connection()
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            conn.close()

    def login(self, username: str, password: str) -> Answer:
        answer = self.request("POST", "/api/v1/login",
                              {"username": username, "password": password})
        if answer.status == 200:
            set_cookie = answer.header("Set-Cookie")
            self.cookie = set_cookie.split(";", 1)[0]
            self.csrf = answer.json()["csrf_token"]
        return answer


def wait_for_https(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1,
                                          source_address=("127.0.0.254", 0)):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"HTTPS listener on {port} did not accept within {timeout} s")
