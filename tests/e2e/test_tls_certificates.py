"""Issue 15, item 15: server certificates. The self-signed certificate the gateway makes is valid
at most 397 days (it was 3,650: testssl.sh rates that HIGH) and is made again before it expires,
at start and at the periodic check; a replaced certificate and key are served to new SMTP
(STARTTLS and implicit TLS) and HTTPS connections without a restart, on SIGHUP and at the
periodic file check; a pair that does not load keeps the old certificate and logs an error.
"""
from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess

from cryptography import x509

from conftest import free_port, wait_until
from http_client import tls_context, wait_for_https

MAX_DAYS = 397


def make_pair(directory, name: str, serial: int, days: int = 30):
    """A P-256 key and a self-signed certificate made by the openssl CLI."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", str(days), "-subj", f"/CN={name}.test", "-set_serial", str(serial)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def install(pair, cert_path, key_path) -> None:
    """Puts a pair in place as certbot does: new files renamed over the old ones, key first."""
    for source, target in ((pair[1], key_path), (pair[0], cert_path)):
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(source.read_bytes())
        os.replace(tmp, target)


def serial_of_file(path) -> int:
    return x509.load_pem_x509_certificate(path.read_bytes()).serial_number


def read_reply(raw: socket.socket) -> bytes:
    """One whole SMTP reply (its last line has a space after the code), read byte-wise so that
    nothing of the TLS handshake is read ahead."""
    data = b""
    while True:
        byte = raw.recv(1)
        assert byte, f"connection closed after {data!r}"
        data += byte
        if data.endswith(b"\r\n"):
            last = data[:-2].rsplit(b"\r\n", 1)[-1]
            if len(last) >= 4 and last[3:4] == b" ":
                return data


def served(port: int, starttls: bool = False) -> x509.Certificate:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        if starttls:
            assert read_reply(raw).startswith(b"220")
            raw.sendall(b"EHLO client.test\r\n")
            assert b"STARTTLS" in read_reply(raw)
            raw.sendall(b"STARTTLS\r\n")
            assert read_reply(raw).startswith(b"220")
        with tls_context().wrap_socket(raw, server_hostname=None) as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def start(make_node, tls: dict):
    smtps, https = free_port(), free_port()
    node = make_node({"tls": tls, "server": {"listen_tls": [f"127.0.0.1:{smtps}"]},
                      "http": {"listen": f"127.0.0.1:{https}"}})
    node.provision()
    node.start()
    wait_for_https(https)
    node.ports = {"starttls": node.port, "smtps": smtps, "https": https}
    return node


def serials(node) -> dict:
    return {"starttls": served(node.ports["starttls"], starttls=True).serial_number,
            "smtps": served(node.ports["smtps"]).serial_number,
            "https": served(node.ports["https"]).serial_number}


def all_serve(node, serial: int) -> bool:
    return serials(node) == {"starttls": serial, "smtps": serial, "https": serial}


def validity(cert: x509.Certificate) -> datetime.timedelta:
    if hasattr(cert, "not_valid_after_utc"):  # cryptography >= 42
        return cert.not_valid_after_utc - cert.not_valid_before_utc
    return cert.not_valid_after - cert.not_valid_before


def test_the_self_signed_certificate_is_valid_at_most_397_days(make_node):
    node = start(make_node, {})
    cert_file = node.data_dir / "tls" / "cert.pem"
    on_disk = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert validity(on_disk) <= datetime.timedelta(days=MAX_DAYS), validity(on_disk)
    for name, serial in serials(node).items():
        assert serial == on_disk.serial_number, name
    assert on_disk.serial_number.bit_length() > 64  # random, not the clock


def test_a_replaced_certificate_is_served_after_sighup(make_node, tmp_path):
    first = make_pair(tmp_path, "first", 0xA1)
    second = make_pair(tmp_path, "second", 0xB2)
    third = make_pair(tmp_path, "third", 0xC3)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    install(first, cert, key)
    node = start(make_node, {"cert_file": str(cert), "key_file": str(key),
                             "reload_check_s": 86400})
    assert all_serve(node, 0xA1)

    install(second, cert, key)
    assert all_serve(node, 0xA1)  # no check within a day: only the signal reloads
    node.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: all_serve(node, 0xB2), timeout=5), serials(node)
    assert "event=tls_reloaded trigger=sighup" in node.log_text()

    # A pair that does not match: the error is logged, the second certificate stays.
    install((third[0], second[1]), cert, key)
    node.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "event=tls_reload_failed trigger=sighup" in node.log_text(), 5)
    assert all_serve(node, 0xB2)
    cert.write_text("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
    node.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: node.log_text().count("event=tls_reload_failed") >= 2, 5)
    assert node.running() and all_serve(node, 0xB2)


def test_a_replaced_certificate_is_served_after_the_periodic_file_check(make_node, tmp_path):
    first = make_pair(tmp_path, "first", 0xA1)
    second = make_pair(tmp_path, "second", 0xB2)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    install(first, cert, key)
    node = start(make_node, {"cert_file": str(cert), "key_file": str(key), "reload_check_s": 1})
    assert all_serve(node, 0xA1)
    install(second, cert, key)
    assert wait_until(lambda: all_serve(node, 0xB2), timeout=6), serials(node)
    assert "event=tls_reloaded trigger=file_change" in node.log_text()


def test_a_self_signed_certificate_near_its_expiry_is_renewed(make_node, tmp_path):
    """At start, and while running at the periodic check: a self-signed certificate that expires
    within renew_before_days (or was made for ten years) is made again, at most 397 days."""
    node = start(make_node, {"reload_check_s": 1, "renew_before_days": 30})
    cert_file, key_file = node.data_dir / "tls" / "cert.pem", node.data_dir / "tls" / "key.pem"
    original = serial_of_file(cert_file)
    install(make_pair(tmp_path, "expiring", 0xE1, days=5), cert_file, key_file)

    def renewed():
        serial = serials(node)["https"]
        return serial not in (0xE1, original) and all_serve(node, serial)
    assert wait_until(renewed, timeout=8), serials(node)
    fresh = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert validity(fresh) <= datetime.timedelta(days=MAX_DAYS)
    assert "event=tls_self_signed_renewed" in node.log_text()

    # At start: a ten-year certificate of an older version is replaced before serving.
    assert node.stop() == 0
    install(make_pair(tmp_path, "decade", 0xD1, days=3650), cert_file, key_file)
    node.start()
    wait_for_https(node.ports["https"])
    assert serial_of_file(cert_file) != 0xD1
    assert all_serve(node, serial_of_file(cert_file))
