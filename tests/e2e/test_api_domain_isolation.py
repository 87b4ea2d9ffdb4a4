"""Every API route refuses a domain admin of another domain (F-PANEL, issue 7 "Done when").

A domain admin of other.test logs in and calls EVERY path and method that /api/v1/openapi.json
lists (but login, logout, me, openapi and its own tokens) aimed at example.com's objects: the
domain, its user, an alias, a DKIM selector, a panel account, and the log, queue, quarantine and
archive entries of a normal and a GTUBE message sent through SMTP. Each must answer 403 or 404,
and a route that takes an object (an {id}, a user's name) must answer example.com's object as it
answers a missing one (issue 15, item 3: the answer tells no one which ids exist). List routes without a path parameter must hold
nothing of example.com, and those with a `domain` query parameter refuse domain=example.com.
The test iterates whatever the document lists, so a route added later is covered at once; a path
parameter it cannot fill fails the test by name, so that FILL is extended with it.
"""
from __future__ import annotations

import json
import re
import urllib.parse

from conftest import DOMAIN, USER, free_port, wait_until
from http_client import Api, wait_for_https

OTHER = "other.test"
OTHER_ADMIN = "ops@other.test"
OTHER_PASSWORD = "second passphrase 2026"
TARGET_ACCOUNT = "boss@example.com"
ROOT = "root"
ROOT_PASSWORD = "node admin passphrase 2026"
ALIAS = "example-alias.test"
SELECTOR = "sel2026"
RECIPIENT = "bob@example.net"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
UNKNOWN_ID = "no-such-id-0"

# Routes a domain admin may call for itself; not part of the cross-domain check.
OWN_ROUTES = re.compile(r"^/api/v1/(login|logout|me|openapi\.json|tokens(/\{id\})?)$")


def message(subject: str, body: str) -> bytes:
    return (f"From: <{USER}>\r\nTo: <{RECIPIENT}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@example.com>\r\n\r\n{body}\r\n").encode()


def send(node, subject: str, body: str) -> int:
    wire = node.authenticated()
    try:
        wire.expect(f"MAIL FROM:<{USER}>", 250)
        wire.expect(f"RCPT TO:<{RECIPIENT}>", 250)
        return wire.data(message(subject, body)).code
    finally:
        wire.close()


def cli_json(node, *args):
    return json.loads(node.cli(*args, "--json").stdout)


def first_id(rows, where: str) -> str | None:
    rows = rows.get("items", rows) if isinstance(rows, dict) else rows
    for row in rows or []:
        for key in ("id", "queue_id", "message_id"):
            if isinstance(row, dict) and row.get(key) not in (None, ""):
                return str(row[key])
    return None


def aim(value, key: str | None = None):
    """A request example turned on example.com: domains, owners and addresses rewritten."""
    if isinstance(value, dict):
        return {k: aim(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [aim(v, key) for v in value]
    if not isinstance(value, str):
        return value
    if key in ("domain", "owner"):
        return DOMAIN
    if key in ("user", "sender") or (key == "name" and "@" in value):
        return USER
    if key == "username":
        return TARGET_ACCOUNT
    if key == "name" and "." in value and "/" not in value and " " not in value:
        return DOMAIN
    return value


def example_com_values(value, path="$"):
    """Where an answer holds an object of example.com (a value naming the domain or an address
    in it)."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += example_com_values(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += example_com_values(v, f"{path}[{i}]")
    elif isinstance(value, str):
        v = value.lower()
        if v == DOMAIN or v.endswith("@" + DOMAIN) or v.endswith("." + DOMAIN) or v == ALIAS:
            found.append(f"{path}={value}")
    return found


def setup_objects(node):
    """example.com's objects, made through the CLI and SMTP; returns the values for the path
    parameters, by route prefix for {id}."""
    node.cli("domain", "add", OTHER)
    node.cli("domain", "set", DOMAIN, "--alias", ALIAS)
    node.cli("dkim", "keygen", "--domain", DOMAIN, "--selector", SELECTOR, "--algorithm",
             "ed25519")
    node.cli("user", "set", USER, "archive=true")
    node.cli("admin", "add", ROOT, "--password-stdin", stdin=ROOT_PASSWORD + "\n")
    node.cli("admin", "add", TARGET_ACCOUNT, "--role", "domain", "--domain", DOMAIN,
             "--password-stdin", stdin="target passphrase 2026\n")
    node.cli("admin", "add", OTHER_ADMIN, "--role", "domain", "--domain", OTHER,
             "--password-stdin", stdin=OTHER_PASSWORD + "\n")


def collect_ids(node) -> dict:
    # The message log is written in batches: wait (bounded) until the messages are in it.
    wait_until(lambda: cli_json(node, "log", "search") and cli_json(node, "quarantine", "list"),
               timeout=10)
    queue_id = first_id(cli_json(node, "queue", "list"), "queue")
    quarantine_id = first_id(cli_json(node, "quarantine", "list"), "quarantine")
    log_id = first_id(cli_json(node, "log", "search"), "log")
    archive_id = first_id(cli_json(node, "archive", "search", "--domain", DOMAIN), "archive")
    assert queue_id and quarantine_id and log_id, (queue_id, quarantine_id, log_id)
    return {"/api/v1/queue/": queue_id, "/api/v1/quarantine/": quarantine_id,
            "/api/v1/log/": log_id, "/api/v1/archive/": archive_id or UNKNOWN_ID}


def fill(path: str, ids: dict) -> tuple[str, bool]:
    """The path aimed at example.com, and whether its {id} is one the test could not make."""
    values = {"domain": DOMAIN, "name": USER, "alias": ALIAS, "selector": SELECTOR,
              "username": TARGET_ACCOUNT}
    unknown = False
    if path.startswith("/api/v1/templates/"):
        values["name"] = "lock"

    def one(match):
        nonlocal unknown
        name = match.group(1)
        if name == "id":
            for prefix, value in ids.items():
                if path.startswith(prefix):
                    unknown = value == UNKNOWN_ID
                    return urllib.parse.quote(value, safe="")
            unknown = True
            return UNKNOWN_ID
        assert name in values, (f"path parameter {{{name}}} of {path} cannot be filled: extend "
                                f"fill() in {__file__}")
        return urllib.parse.quote(values[name], safe="")

    return re.sub(r"\{(\w+)\}", one, path), unknown


def missing_target(path: str, ids: dict) -> str | None:
    """The path with its object (an {id}, or a user's {name}) replaced by one that does not
    exist; None for paths without such an object."""
    if "{id}" in path:
        return fill(path, {prefix: UNKNOWN_ID for prefix in ids})[0]
    if path.startswith("/api/v1/users/{name}"):
        return fill(path, ids)[0].replace(urllib.parse.quote(USER, safe=""),
                                          urllib.parse.quote("nobody@" + DOMAIN, safe=""))
    return None


def test_a_domain_admin_of_another_domain_is_refused_on_every_route(make_node):
    port = free_port()
    node = make_node({"http": {"listen": f"127.0.0.1:{port}"}})
    node.provision()
    setup_objects(node)
    node.start()
    wait_for_https(port)
    assert send(node, "normal message", "hello") == 250
    assert send(node, "spam message", f"Buy now.\r\n{GTUBE}") // 100 in (4, 5)
    ids = collect_ids(node)

    root = Api(port)
    assert root.login(ROOT, ROOT_PASSWORD).status == 200
    other = Api(port, source="127.0.0.6")
    assert other.login(OTHER_ADMIN, OTHER_PASSWORD).status == 200
    doc = other.request("GET", "/api/v1/openapi.json").json()

    checked, problems = [], []
    for path, operations in sorted(doc["paths"].items()):
        if OWN_ROUTES.match(path):
            continue
        for method, op in sorted(operations.items()):
            method = method.upper()
            target, unknown_id = fill(path, ids)
            body = None
            example = (op.get("requestBody", {}).get("content", {})
                       .get("application/json", {}).get("example"))
            if example is not None or method in ("POST", "PUT", "PATCH"):
                body = aim(example if example is not None else {})
            has_path_params = "{" in path
            query_names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            if method == "GET" and not has_path_params:
                answer = other.request("GET", target)
                checked.append((method, path))
                if answer.status not in (200, 403):
                    problems.append(f"{method} {path}: {answer.status} {answer.body[:200]!r}")
                elif answer.status == 200:
                    leaks = example_com_values(answer.json())
                    if leaks:
                        problems.append(f"{method} {path} shows example.com: {leaks[:5]}")
                if "domain" in query_names:
                    aimed = other.request("GET", f"{target}?domain={DOMAIN}")
                    if aimed.status != 403:
                        problems.append(f"{method} {path}?domain={DOMAIN}: {aimed.status} "
                                        f"{aimed.body[:200]!r}")
                continue
            if path == "/api/v1/templates/{name}" and method == "GET":
                answer = other.request(method, target)  # the node's template: no domain's data
                checked.append((method, path))
                if answer.status not in (200, 403, 404) or (
                        answer.status == 200 and example_com_values(answer.json())):
                    problems.append(f"{method} {path}: {answer.status} {answer.body[:200]!r}")
                continue
            answer = other.request(method, target, body)
            checked.append((method, path))
            if answer.status not in (403, 404):
                problems.append(f"{method} {target} ({path}): {answer.status} "
                                f"{answer.body[:200]!r}")
            missing = missing_target(path, ids)
            if missing and not unknown_id:
                # One answer for "not yours" and "not there" (issue 15, item 3).
                absent = other.request(method, missing, body)
                if absent.status != answer.status:
                    problems.append(f"{method} {path}: {answer.status} for example.com's object "
                                    f"but {absent.status} for a missing one")

    # The routes this test knows exist today (accounts) must have been among those checked.
    assert ("GET", "/api/v1/accounts") in checked
    assert ("PUT", "/api/v1/accounts/{username}/password") in checked
    assert not problems, "\n".join(problems)

    # Nothing was changed for example.com: the admin still sees its objects.
    accounts = root.request("GET", "/api/v1/accounts").json()["items"]
    assert TARGET_ACCOUNT in {a["username"] for a in accounts}
    users = [u["name"] for u in json.loads(node.cli("user", "list", "--json").stdout)]
    assert USER in users
