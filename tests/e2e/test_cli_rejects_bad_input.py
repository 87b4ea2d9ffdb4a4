"""The admin CLI refuses bad input with a non-zero exit and exactly one line on stderr, and
changes nothing: malformed CIDRs, unknown domains, duplicates, overlapping ranges across
domains, weak or empty passwords, and editing an IP sender's address.
"""
import pytest

from conftest import DOMAIN, IP_SENDER, OTHER_DOMAIN, USER


@pytest.fixture
def cli_node(make_node):
    """Provisioned with the standard senders and a second domain; no server needed."""
    node = make_node()
    node.provision()
    node.cli("domain", "add", OTHER_DOMAIN)
    return node


def assert_refused(node, *args, stdin=None):
    before = node.users()
    result = node.cli(*args, stdin=stdin, check=False)
    shown = f"postwarden {' '.join(args)} (stdin {stdin!r})"
    assert result.returncode != 0, f"{shown} succeeded:\n{result.stdout}{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), (
        f"{shown}: stderr is not one line:\n{result.stderr!r}")
    assert "Traceback" not in result.stderr and "terminate called" not in result.stderr
    assert node.users() == before, f"{shown} changed the users"
    return lines[0]


@pytest.mark.parametrize("cidr", ["127.0.0.300/32", "10.0.0.0/33", "not-an-ip", "10.0.0.1/",
                                  "10.0.0/8", "::1/129", "2001:db8::/xx", "", "10.0.0.1/-1",
                                  "1.2.3.4.5"])
def test_bad_cidr_is_refused(cli_node, cidr):
    assert_refused(cli_node, "user", "add", "--ip", cidr, "--owner", DOMAIN)


def test_good_cidrs_are_accepted(cli_node):
    for cidr in ["10.1.0.0/16", "192.0.2.7", "2001:db8::/32", "::1/128"]:
        cli_node.cli("user", "add", "--ip", cidr, "--owner", DOMAIN)
    assert len(cli_node.users()) == 3 + 4


@pytest.mark.parametrize("args", [
    ("user", "add", "--ip", "10.9.0.0/16", "--owner", "nosuch.example"),
    ("user", "add", "--user", "bob@nosuch.example", "--password-stdin"),
    ("user", "add", "--domain", "nosuch.example", "--password-stdin"),
], ids=["ip", "user", "domain"])
def test_unknown_domain_is_refused(cli_node, args):
    assert_refused(cli_node, *args, stdin="a perfectly good password\n")


@pytest.mark.parametrize("args", [
    ("user", "add", "--ip", IP_SENDER, "--owner", DOMAIN),
    ("user", "add", "--user", USER, "--password-stdin"),
    ("user", "add", "--domain", DOMAIN, "--password-stdin"),
], ids=["ip", "user", "domain"])
def test_duplicate_sender_is_refused(cli_node, args):
    assert_refused(cli_node, *args, stdin="a perfectly good password\n")


def test_duplicate_domain_is_refused(cli_node):
    before = cli_node.cli("domain", "list").stdout
    result = cli_node.cli("domain", "add", DOMAIN, check=False)
    assert result.returncode != 0 and len(result.stderr.splitlines()) == 1, result
    assert cli_node.cli("domain", "list").stdout == before


@pytest.mark.parametrize("cidr", ["127.0.0.0/24", "127.0.0.2/32", "127.0.0.2"])
def test_range_overlapping_another_domains_is_refused(cli_node, cidr):
    assert_refused(cli_node, "user", "add", "--ip", cidr, "--owner", OTHER_DOMAIN)


@pytest.mark.parametrize("password", ["short1", "aaaaaaaaaaaa", "abababababab", "abcabcabcabc",
                                      "123456789"],
                         ids=["too_short", "one_char", "two_chars", "three_chars", "nine_chars"])
def test_weak_password_is_refused(cli_node, password):
    assert_refused(cli_node, "user", "add", "--user", "weak@example.com", "--password-stdin",
                   stdin=password + "\n")


def test_password_at_the_minimum_is_accepted(cli_node):
    # Ten characters, four distinct: the weakest password the contract allows.
    cli_node.cli("user", "add", "--user", "edge@example.com", "--password-stdin",
                 stdin="abcdabcdab\n")
    assert "edge@example.com" in {u.get("name") for u in cli_node.users()}


@pytest.mark.parametrize("stdin", ["\n", "", "   \n"], ids=["empty_line", "eof", "spaces"])
def test_empty_password_is_refused(cli_node, stdin):
    assert_refused(cli_node, "user", "add", "--user", "empty@example.com", "--password-stdin",
                   stdin=stdin)
    assert_refused(cli_node, "user", "add", "--domain", OTHER_DOMAIN, "--password-stdin",
                   stdin=stdin)


@pytest.mark.parametrize("address", ["alice", "@example.com", "alice@", "al ice@example.com"])
def test_malformed_user_address_is_refused(cli_node, address):
    assert_refused(cli_node, "user", "add", "--user", address, "--password-stdin",
                   stdin="a perfectly good password\n")


def test_removing_an_unknown_sender_is_refused(cli_node):
    assert_refused(cli_node, "user", "remove", "nobody@example.com")
    assert_refused(cli_node, "user", "remove", "10.99.0.0/16")


@pytest.mark.parametrize("change", [("--ip", "10.10.0.0/16"), ("ip=10.10.0.0/16",),
                                    ("name=10.10.0.0/16",)], ids=["option", "ip_key", "name_key"])
def test_ip_sender_address_cannot_be_changed(cli_node, change):
    message = assert_refused(cli_node, "user", "set", IP_SENDER, *change)
    assert IP_SENDER in {u.get("name") for u in cli_node.users()}
    assert message.startswith("postwarden: "), message
