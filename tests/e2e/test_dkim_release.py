"""F-DKIM for released quarantine messages: a message held for review and released later leaves
signed like one accepted at once, with its user's domain selector, whether the release is done
by the running gateway or by the CLI while no gateway runs. The signature is checked with dkimpy
(python3-dkim) against the record `dkim show --json` prints; DNS-served keys, OpenDKIM and the
signing of submitted mail are in test_dkim_signing.py.
"""
import json

import dkim
import pytest

from conftest import DOMAIN, USER, wait_until
from test_quarantine_cli import MESSAGE, put_held_message

SELECTOR = "held1"


def record_lookup(node):
    shown = json.loads(node.cli("dkim", "show", "--domain", DOMAIN, "--selector", SELECTOR,
                                "--json").stdout)
    name = (shown["name"] + ".").encode()

    def dnsfunc(qname, timeout=5):
        return shown["record"].encode() if qname == name else None
    return dnsfunc


def released_queue_id(output: str) -> str:
    return output.split("queue id ")[1].split(";")[0].split()[0].strip()


@pytest.fixture
def signing_node(make_node):
    node = make_node()
    node.provision()
    node.cli("domain", "set", DOMAIN, f"dkim_selector={SELECTOR}")
    node.cli("dkim", "keygen", "--domain", DOMAIN, "--selector", SELECTOR, "--algorithm", "rsa")
    return node


def assert_signed(node, queue_id: str) -> None:
    raw = node.spooled(queue_id).raw
    assert raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;"), raw[:200]
    assert raw.endswith(MESSAGE)
    assert f"s={SELECTOR};".encode() in raw and f"d={DOMAIN};".encode() in raw
    assert dkim.verify(raw, dnsfunc=record_lookup(node))
    # The check can fail: a changed body does not verify.
    assert not dkim.verify(raw.replace(b"cheap", b"CHEAP"), dnsfunc=record_lookup(node))


def test_release_without_gateway_is_signed(signing_node):
    put_held_message(signing_node, "HELDSIGN1")
    result = signing_node.cli("quarantine", "release", "HELDSIGN1")
    assert_signed(signing_node, released_queue_id(result.stdout))


def test_release_by_running_gateway_is_signed(signing_node):
    signing_node.start()
    put_held_message(signing_node, "HELDSIGN2")
    result = signing_node.cli("quarantine", "release", "HELDSIGN2")
    queue_id = released_queue_id(result.stdout)
    wait_until(lambda: queue_id in signing_node.spool_ids(), timeout=10)
    assert_signed(signing_node, queue_id)


def test_release_of_a_user_without_key_is_unsigned(signing_node):
    signing_node.cli("user", "set", USER, "dkim_selector=nokey")
    put_held_message(signing_node, "HELDSIGN3")
    result = signing_node.cli("quarantine", "release", "HELDSIGN3")
    assert signing_node.spooled(released_queue_id(result.stdout)).raw == MESSAGE
