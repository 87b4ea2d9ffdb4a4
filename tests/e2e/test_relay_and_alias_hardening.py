"""Issue 15, items 1 and 2, against the real binary (CLI and HTTPS API).

1. No one opens the gateway as a relay by accident: catch-all IP users (0.0.0.0/0, ::/0, the
   IPv4-mapped ::ffff:0:0/96, anything wider than [policy] widest_prefix_v4/v6) are refused at the
   CLI and the API unless an administrator gives `user add --ip ... --force` at the CLI, which is
   logged; a domain admin may add neither ranges wider than domain_admin_widest_prefix_v4/v6 nor
   loopback or link-local ranges, and its overlap error names no other domain's range.
2. A name is a domain or an alias, never both: `domain add` of an alias is refused as
   `domain set --alias` of a domain is.
"""
from __future__ import annotations

import json

import pytest

from conftest import DOMAIN, free_port
from http_client import Api, wait_for_https

OTHER = "other.test"
OTHER_ADMIN = "ops@other.test"
OTHER_PASSWORD = "second passphrase 2026"
ALIAS = "example.net"


def refused(node, *args) -> str:
    before = node.users()
    result = node.cli(*args, check=False)
    assert result.returncode != 0, f"{args} succeeded: {result.stdout}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert node.users() == before
    return lines[0]


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0", "::ffff:0:0/96", "::ffff:0.0.0.0/96",
                                  "0.0.0.0/1", "128.0.0.0/7", "::/8", "2000::/3",
                                  "::ffff:0.0.0.0/100"])
def test_cli_refuses_a_catch_all_unless_forced(make_node, cidr):
    node = make_node()
    node.provision()
    node.cli("domain", "add", OTHER)
    line = refused(node, "user", "add", "--ip", cidr, "--owner", DOMAIN)
    assert "catch-all" in line and "--force" in line, line
    forced = node.cli("user", "add", "--ip", cidr, "--owner", DOMAIN, "--force")
    assert "event=ip_user_forced" in forced.stderr + forced.stdout, forced
    assert len(node.users()) == 4


def test_force_goes_with_ip_only(make_node):
    node = make_node()
    node.provision()
    result = node.cli("user", "add", "--user", "x@example.com", "--force", "--password-stdin",
                      stdin="a perfectly good password\n", check=False)
    assert result.returncode != 0 and "--force" in result.stderr


@pytest.fixture
def api_node(make_node):
    port = free_port()
    node = make_node({"http": {"listen": f"127.0.0.1:{port}"}})
    node.provision()
    node.cli("domain", "add", OTHER)
    node.cli("user", "add", "--ip", "198.51.100.0/24", "--owner", DOMAIN)
    node.cli("admin", "add", OTHER_ADMIN, "--role", "domain", "--domain", OTHER,
             "--password-stdin", stdin=OTHER_PASSWORD + "\n")
    node.start()
    wait_for_https(port)
    api = Api(port, source="127.0.0.6")
    assert api.login(OTHER_ADMIN, OTHER_PASSWORD).status == 200
    return node, api


def add_ip(api, cidr):
    return api.request("POST", "/api/v1/users", {"kind": "ip", "name": cidr, "owner": OTHER})


def test_a_domain_admin_cannot_open_the_gateway_as_a_relay(api_node):
    node, api = api_node
    before = node.users()
    for cidr in ["::/0", "0.0.0.0/0", "::ffff:0:0/96", "2001:db8::/47", "203.0.112.0/23",
                 "::ffff:203.0.112.0/119", "::1", "::1/128", "127.0.0.1", "127.0.0.0/24",
                 "::ffff:127.0.0.1", "169.254.10.0/24", "fe80::/64", "fe80::1",
                 "::ffff:169.254.0.1"]:
        answer = add_ip(api, cidr)
        assert answer.status in (400, 403), (cidr, answer.status, answer.body)
    assert node.users() == before
    for cidr in ["2001:db8::/48", "203.0.113.0/24", "2001:db8:1::7"]:
        answer = add_ip(api, cidr)
        assert answer.status == 201, (cidr, answer.status, answer.body)


def test_a_domain_admins_overlap_error_names_no_other_range(api_node):
    _, api = api_node
    answer = add_ip(api, "198.51.100.128/25")
    assert answer.status == 409, answer.body
    error = answer.json()["error"]
    assert error == "198.51.100.128/25 is taken", error
    assert DOMAIN not in answer.body.decode() and "198.51.100.0/24" not in answer.body.decode()


def test_an_alias_cannot_become_a_domain_nor_a_domain_an_alias(make_node):
    node = make_node()
    node.provision()
    node.cli("domain", "set", DOMAIN, "--alias", ALIAS)
    before = node.cli("domain", "list").stdout
    result = node.cli("domain", "add", ALIAS, check=False)
    assert result.returncode != 0 and len(result.stderr.splitlines()) == 1, result
    assert "alias" in result.stderr
    result = node.cli("domain", "add", ALIAS.upper(), check=False)
    assert result.returncode != 0, result
    assert node.cli("domain", "list").stdout == before
    # The reverse order: a domain cannot become an alias (refused before, kept).
    node.cli("domain", "add", OTHER)
    result = node.cli("domain", "set", DOMAIN, "--alias", OTHER, check=False)
    assert result.returncode != 0, result
    domains = json.loads(node.cli("domain", "list", "--json").stdout)
    assert {d["name"] for d in domains} == {DOMAIN, OTHER}
