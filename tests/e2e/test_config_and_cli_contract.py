"""The configuration file and the command line keep their contract: unknown keys and values out
of bounds stop `serve` with a one-line error naming the key (it never starts half-configured),
and `--data-dir` works anywhere on a command line or from POSTWARDEN_DATA_DIR.
"""
import os
import socket
import subprocess

import pytest

from conftest import BINARY, CLI_TIMEOUT_S, DOMAIN, cli_env


@pytest.mark.parametrize("overrides, key", [
    ({"smtp": {"bogus_limit": 5}}, "bogus_limit"),
    ({"nosuchsection": {"x": 1}}, "nosuchsection"),
    ({"smtp": {"max_message_size": 100}}, "max_message_size"),
    ({"smtp": {"max_recipients": 0}}, "max_recipients"),
    ({"smtp": {"max_recipients": "ten"}}, "max_recipients"),
    ({"auth": {"password_hash_mem_kib": 1024}}, "password_hash_mem_kib"),
    ({"server": {"max_sessions_per_ip": -1}}, "max_sessions_per_ip"),
    ({"tls": {"require_tls_for_auth": "yes"}}, "require_tls_for_auth"),
], ids=["unknown_key", "unknown_section", "size_below_min", "recipients_zero",
        "wrong_type", "hash_memory_below_min", "negative", "bool_as_string"])
def test_bad_config_stops_serve_with_an_error_naming_the_key(make_node, overrides, key):
    node = make_node(overrides)
    result = node.serve_expecting_refusal()
    assert result.returncode != 0, result
    assert key in result.stderr, f"error does not name {key}: {result.stderr!r}"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", node.port), timeout=1).close()


def test_bad_config_is_refused_by_a_cli_command_that_uses_it(make_node):
    """Hashing a new password reads [auth] from the config: a broken file is not half-used."""
    node = make_node()
    node.cli("domain", "add", DOMAIN)
    node.config_path.write_text(node.config_path.read_text() + "\n[smtp]\nbogus_limit = 5\n")
    result = node.cli("user", "add", "--user", "alice@example.com", "--password-stdin",
                      stdin="a perfectly good password\n", check=False)
    assert result.returncode != 0, result
    assert len(result.stderr.splitlines()) == 1 and "bogus_limit" in result.stderr, result.stderr


def run(args, env=None):
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, env=env or cli_env())


def test_data_dir_is_accepted_anywhere_and_from_the_environment(tmp_path):
    data = str(tmp_path / "data")
    assert run(["domain", "add", "one.example", "--data-dir", data]).returncode == 0
    assert run(["--data-dir", data, "domain", "add", "two.example"]).returncode == 0
    assert run(["domain", "--data-dir", data, "add", "three.example"]).returncode == 0
    env = cli_env()
    env["POSTWARDEN_DATA_DIR"] = data
    assert run(["domain", "add", "four.example"], env=env).returncode == 0
    listed = run(["domain", "list", "--json"], env=env)
    assert listed.returncode == 0, listed.stderr
    names = {d["name"] for d in __import__("json").loads(listed.stdout)}
    assert names == {"one.example", "two.example", "three.example", "four.example"}


def test_command_without_a_data_dir_is_refused(tmp_path):
    env = cli_env()
    env.pop("POSTWARDEN_DATA_DIR", None)
    result = subprocess.run([str(BINARY), "domain", "list"], capture_output=True, text=True,
                            timeout=CLI_TIMEOUT_S, env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert os.listdir(tmp_path) == [], "created files in the working directory"
