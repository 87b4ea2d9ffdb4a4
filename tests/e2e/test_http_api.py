"""The HTTPS server inside the gateway (F-PANEL): login, session cookie and CSRF, API tokens,
roles, the OpenAPI document, /metrics, the panel's static files, limits, and `admin` on the CLI.

Every request goes over TLS to the real `serve` on loopback with Python's http.client.
"""
from __future__ import annotations

import json
import re
import socket
import ssl
import time

import pytest

from conftest import DOMAIN, USER, free_port
from http_client import Api, tls_context, wait_for_https

ADMIN = "root"
ADMIN_PASSWORD = "admin passphrase 2026"
DOMAIN_ADMIN = "ops@example.com"
DOMAIN_ADMIN_PASSWORD = "domain passphrase 2026"
RECIPIENT = "bob@example.net"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def web_root(tmp_path):
    root = tmp_path / "web"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>panel</title>")
    (root / "assets" / "app.js").write_text("console.log('panel');")
    (root / ".hidden").write_text("secret")
    (tmp_path / "outside.txt").write_text("outside the web root")
    return root


def start_gateway(make_node, web_root, http_overrides: dict | None = None, name="node"):
    port = free_port()
    http = {"listen": f"127.0.0.1:{port}", "web_root": str(web_root)}
    http.update(http_overrides or {})
    node = make_node({"http": http}, name=name)
    node.provision()
    node.cli("admin", "add", ADMIN, "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    node.cli("admin", "add", DOMAIN_ADMIN, "--role", "domain", "--domain", DOMAIN,
             "--password-stdin", stdin=DOMAIN_ADMIN_PASSWORD + "\n")
    node.start()
    wait_for_https(port)
    node.http_port = port
    return node


@pytest.fixture
def gateway(make_node, web_root):
    return start_gateway(make_node, web_root)


def assert_security_headers(answer, api_route: bool):
    for name, value in SECURITY_HEADERS.items():
        assert answer.header(name) == value, (name, answer.header(name))
    assert answer.header("Strict-Transport-Security").startswith("max-age=")
    if api_route:
        assert answer.header("Cache-Control") == "no-store"


def test_login_sets_a_strict_cookie_and_bad_passwords_get_401(gateway):
    api = Api(gateway.http_port)
    bad = api.request("POST", "/api/v1/login", {"username": ADMIN, "password": "wrong one"})
    assert bad.status == 401 and "error" in bad.json()
    unknown = api.request("POST", "/api/v1/login", {"username": "ghost", "password": "wrong one"})
    assert unknown.status == 401 and unknown.json() == bad.json()
    assert_security_headers(bad, api_route=True)

    ok = api.login(ADMIN, ADMIN_PASSWORD)
    assert ok.status == 200, ok.body
    body = ok.json()
    assert body["username"] == ADMIN and body["role"] == "admin" and body["domain"] is None
    assert re.fullmatch(r"[0-9a-f]{64}", body["csrf_token"])
    cookie = ok.header("Set-Cookie")
    assert re.match(r"pw_session=[0-9a-f]{64};", cookie), cookie
    flags = [part.strip() for part in cookie.split(";")[1:]]
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} <= set(flags), flags
    me = api.request("GET", "/api/v1/me")
    assert me.status == 200 and me.json()["csrf_token"] == body["csrf_token"]

    out = api.request("POST", "/api/v1/logout")
    assert out.status == 204
    assert "Max-Age=0" in out.header("Set-Cookie")
    assert api.request("GET", "/api/v1/me").status == 401


def test_the_eleventh_login_attempt_from_one_address_within_a_minute_gets_429(gateway):
    api = Api(gateway.http_port, source="127.0.0.7")
    statuses = [api.request("POST", "/api/v1/login",
                            {"username": f"ghost{i}", "password": f"wrong {i}"}).status
                for i in range(10)]
    assert statuses == [401] * 10
    assert api.login(ADMIN, ADMIN_PASSWORD).status == 429
    # Another address is not refused, for the same account or another.
    assert Api(gateway.http_port, source="127.0.0.8").login(ADMIN, ADMIN_PASSWORD).status == 200
    assert Api(gateway.http_port, source="127.0.0.9").login(
        DOMAIN_ADMIN, DOMAIN_ADMIN_PASSWORD).status == 200


def test_wrong_passwords_from_one_address_do_not_lock_the_admin_out(make_node, web_root):
    """Issue 15, item 8: 30 wrong passwords for the admin from 127.0.0.2 once made the right
    password from 127.0.0.3 get 429. Now the (address, account) pair is refused after
    login_failures_per_address_account failures, and the account is only slowed down (a
    doubling delay, bounded by login_max_failure_delay_ms) for everybody else."""
    gateway = start_gateway(make_node, web_root, {"login_failure_delay_ms": 300,
                                                  "login_max_failure_delay_ms": 1200})
    attacker = Api(gateway.http_port, source="127.0.0.2")
    statuses = [attacker.request("POST", "/api/v1/login",
                                 {"username": ADMIN, "password": f"wrong {i}"}).status
                for i in range(30)]
    assert statuses == [401] * 5 + [429] * 25, statuses

    owner = Api(gateway.http_port, source="127.0.0.3")
    started = time.monotonic()
    answer = owner.login(ADMIN, ADMIN_PASSWORD)
    slowed = time.monotonic() - started
    assert answer.status == 200, answer.body
    assert 1.2 <= slowed < 6.0, slowed  # slowed down by the bounded delay, not refused
    assert owner.request("GET", "/api/v1/me").status == 200
    # The attacker's address stays refused for that account, even with the right password.
    assert attacker.login(ADMIN, ADMIN_PASSWORD).status == 429
    # The owner's success ended the slow-down.
    started = time.monotonic()
    assert Api(gateway.http_port, source="127.0.0.4").login(ADMIN, ADMIN_PASSWORD).status == 200
    assert time.monotonic() - started < slowed - 0.6


def test_cookie_requests_that_change_things_need_the_csrf_token(gateway):
    api = Api(gateway.http_port)
    assert api.login(ADMIN, ADMIN_PASSWORD).status == 200
    missing = api.request("POST", "/api/v1/tokens", {"name": "x"}, csrf=False)
    assert missing.status == 403 and "CSRF" in missing.json()["error"]
    wrong = api.request("POST", "/api/v1/tokens", {"name": "x"}, csrf=False,
                        headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status == 403
    ok = api.request("POST", "/api/v1/tokens", {"name": "x"})
    assert ok.status == 201, ok.body
    assert api.request("GET", "/api/v1/tokens").status == 200  # reads need none


def test_a_bearer_token_works_without_csrf_and_revoking_stops_it(gateway):
    admin = Api(gateway.http_port)
    assert admin.login(ADMIN, ADMIN_PASSWORD).status == 200
    made = admin.request("POST", "/api/v1/tokens", {"name": "backup script"})
    assert made.status == 201
    token = made.json()
    assert token["name"] == "backup script" and token["token"].startswith("pwt_")

    script = Api(gateway.http_port, bearer=token["token"])
    accounts = script.request("GET", "/api/v1/accounts")
    assert accounts.status == 200
    assert {a["username"] for a in accounts.json()["items"]} == {ADMIN, DOMAIN_ADMIN}
    other = script.request("POST", "/api/v1/tokens", {"name": "made by a script"})
    assert other.status == 201  # no cookie, no CSRF header needed
    listed = admin.request("GET", "/api/v1/tokens").json()["items"]
    assert all("token" not in t for t in listed) and len(listed) == 2

    assert admin.request("DELETE", f"/api/v1/tokens/{token['id']}").status == 204
    assert script.request("GET", "/api/v1/accounts").status == 401
    assert Api(gateway.http_port, bearer="pwt_" + "0" * 64).request(
        "GET", "/api/v1/me").status == 401


def test_domain_accounts_get_403_on_admin_routes_and_strangers_get_401(gateway):
    stranger = Api(gateway.http_port)
    for method, path in [("GET", "/api/v1/accounts"), ("GET", "/api/v1/me"),
                         ("POST", "/api/v1/tokens"), ("DELETE", "/api/v1/accounts/root")]:
        assert stranger.request(method, path).status == 401, (method, path)
    domain = Api(gateway.http_port)
    login = domain.login(DOMAIN_ADMIN, DOMAIN_ADMIN_PASSWORD)
    assert login.status == 200
    assert login.json()["role"] == "domain" and login.json()["domain"] == DOMAIN
    assert domain.request("GET", "/api/v1/accounts").status == 403
    assert domain.request("POST", "/api/v1/accounts", {"username": "x", "password": "y"}).status \
        == 403
    assert domain.request("DELETE", "/api/v1/accounts/root").status == 403
    assert domain.request("PUT", "/api/v1/accounts/root/password",
                          {"password": "taken over 2026"}).status == 403


def test_openapi_document_parses_and_lists_every_route(gateway):
    answer = Api(gateway.http_port).request("GET", "/api/v1/openapi.json")
    assert answer.status == 200
    doc = answer.json()
    assert doc["openapi"] == "3.0.3"
    operations = {(path, method.upper()): op for path, ops in doc["paths"].items()
                  for method, op in ops.items()}
    for route in [("/api/v1/login", "POST"), ("/api/v1/logout", "POST"), ("/api/v1/me", "GET"),
                  ("/api/v1/tokens", "POST"), ("/api/v1/tokens", "GET"),
                  ("/api/v1/tokens/{id}", "DELETE"), ("/api/v1/accounts", "GET"),
                  ("/api/v1/accounts", "POST"), ("/api/v1/accounts/{username}", "DELETE"),
                  ("/api/v1/accounts/{username}/password", "PUT"),
                  ("/api/v1/openapi.json", "GET")]:
        assert route in operations, route
    for (path, method), op in operations.items():
        assert op["x-access"] in ("anyone", "logged_in", "admin_only"), (path, method)
        assert op["summary"] and op["tags"] and op["responses"], (path, method)
        for name in re.findall(r"\{(\w+)\}", path):
            assert any(p["in"] == "path" and p["name"] == name for p in op["parameters"]), path
        assert (op["security"] == []) == (op["x-access"] == "anyone"), (path, method)
    assert operations[("/api/v1/accounts", "GET")]["x-access"] == "admin_only"


def test_metrics_after_one_message_shows_accepted_1(gateway):
    wire = gateway.authenticated()
    message = (f"From: <{USER}>\r\nTo: <{RECIPIENT}>\r\nSubject: metrics\r\n\r\nhello\r\n").encode()
    reply = wire.submit(USER, [RECIPIENT], message)
    reply.queue_id()
    wire.quit()
    answer = Api(gateway.http_port).request("GET", "/metrics")
    assert answer.status == 200
    assert answer.header("Content-Type").startswith("text/plain; version=0.0.4")
    text = answer.body.decode()
    samples = dict(re.findall(r"^(\S+) (\S+)$", text, re.M))
    assert samples['postwarden_messages_total{result="accepted"}'] == "1"
    assert samples['postwarden_messages_total{result="quarantined"}'] == "0"
    assert samples["postwarden_queue_size"] == "1"  # delivery is held in the e2e config
    assert samples["postwarden_scan_seconds_count"] == "1"
    assert samples['postwarden_scan_seconds_bucket{le="+Inf"}'] == "1"
    for name in ("postwarden_active_sessions", "postwarden_locked_users",
                 "postwarden_locked_identities"):
        assert name in samples, name
    assert int(samples['postwarden_http_requests_total{code="200"}']) >= 0
    assert "# TYPE postwarden_messages_total counter" in text


def test_metrics_refuses_addresses_outside_metrics_allow(make_node, web_root):
    node = start_gateway(make_node, web_root, {"metrics_allow": ["127.0.0.1/32"]})
    assert Api(node.http_port, source="127.0.0.1").request("GET", "/metrics").status == 200
    refused = Api(node.http_port, source="127.0.0.3").request("GET", "/metrics")
    assert refused.status == 403 and "metrics_allow" in refused.json()["error"]


def test_static_files_spa_fallback_and_no_way_out_of_the_web_root(gateway):
    api = Api(gateway.http_port)
    index = api.request("GET", "/")
    assert index.status == 200 and b"<title>panel</title>" in index.body
    assert index.header("Content-Type") == "text/html; charset=utf-8"
    assert_security_headers(index, api_route=False)
    script = api.request("GET", "/assets/app.js")
    assert script.status == 200 and script.body == b"console.log('panel');"
    assert script.header("Content-Type").startswith("text/javascript")
    head = api.request("HEAD", "/assets/app.js")
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Length") == str(len("console.log('panel');"))
    spa = api.request("GET", "/quarantine/some-id")
    assert spa.status == 200 and b"<title>panel</title>" in spa.body
    assert api.request("GET", "/missing.png").status == 404
    assert api.request("GET", "/.hidden").status == 404
    assert api.request("POST", "/").status == 405
    for path in ["/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt",
                 "/assets/%2E%2E/%2e%2e/outside.txt"]:
        answer = api.request("GET", path)
        assert answer.status in (400, 404), (path, answer.status)
        assert b"outside the web root" not in answer.body, path
    assert api.request("GET", "/api/v1/nothing").status == 404
    assert api.request("GET", "/api/v1/nothing").json()["error"]


def test_a_web_root_without_index_html_answers_a_clear_404(make_node, tmp_path):
    empty = tmp_path / "empty-web"
    empty.mkdir()
    node = start_gateway(make_node, empty)
    answer = Api(node.http_port).request("GET", "/")
    assert answer.status == 404
    assert "index.html" in answer.json()["error"]


def test_oversize_body_413_bad_json_400_and_keep_alive(gateway):
    api = Api(gateway.http_port)
    big = b"{" + b" " * (1024 * 1024) + b"}"
    answer = api.request("POST", "/api/v1/login", big)
    assert answer.status == 413 and "max_body_bytes" in answer.json()["error"]
    bad = api.request("POST", "/api/v1/login", b"{not json")
    assert bad.status == 400 and "JSON" in bad.json()["error"]
    # Two requests on one kept-alive connection.
    conn = api.connection()
    try:
        for _ in range(2):
            conn.request("GET", "/api/v1/openapi.json")
            response = conn.getresponse()
            assert response.status == 200
            json.loads(response.read())
    finally:
        conn.close()


def test_a_client_that_sends_nothing_is_cut_after_the_read_timeout(make_node, web_root):
    node = start_gateway(make_node, web_root, {"read_timeout_s": 1})
    with socket.create_connection(("127.0.0.1", node.http_port), timeout=5) as raw:
        with tls_context().wrap_socket(raw) as tls:
            tls.settimeout(5)
            try:
                data = tls.recv(1)
            except (ssl.SSLError, ConnectionResetError):
                data = b""
            assert data == b""  # closed by the server within the 5 s, no answer


def test_sigterm_with_an_open_http_connection_stops_cleanly(gateway):
    conn = Api(gateway.http_port).connection()
    conn.request("GET", "/api/v1/openapi.json")
    assert conn.getresponse().read()
    assert gateway.stop() == 0
    conn.close()


def test_admin_cli_adds_lists_and_removes_accounts(make_node):
    node = make_node()
    node.cli("domain", "add", DOMAIN)
    added = node.cli("admin", "add", "first")
    lines = added.stdout.splitlines()
    assert lines[0] == "added account first (admin)"
    assert re.fullmatch(r"password: \S{20,}", lines[1])
    node.cli("admin", "add", "ops@example.com", "--role", "domain", "--domain", DOMAIN,
             "--password-stdin", stdin="domain passphrase 2026\n")
    listed = json.loads(node.cli("admin", "list", "--json").stdout)
    assert [(a["username"], a["role"], a["domain"]) for a in listed] == [
        ("first", "admin", None), ("ops@example.com", "domain", DOMAIN)]
    refused = node.cli("admin", "add", "x", "--role", "domain", "--domain", "nowhere.test",
                       check=False)
    assert refused.returncode == 1 and "unknown domain nowhere.test" in refused.stderr
    duplicate = node.cli("admin", "add", "FIRST", check=False)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    weak = node.cli("admin", "add", "weak", "--password-stdin", stdin="short\n", check=False)
    assert weak.returncode == 1
    last = node.cli("admin", "remove", "first", check=False)
    assert last.returncode == 1 and "last admin" in last.stderr
    node.cli("admin", "remove", "ops@example.com")
    assert [a["username"] for a in json.loads(node.cli("admin", "list", "--json").stdout)] == [
        "first"]
