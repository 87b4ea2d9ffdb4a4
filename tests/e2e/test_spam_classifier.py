"""The spam classifier end to end (F-SPAM): `postwarden scan` on the held-out corpus folders
(test/, never trained or tuned on) and real corpus spam through the gateway, which quarantines
it and locks the sender automatically, while held-out ham passes. The corpus comes from
scripts/spam_corpus.sh and the model from scripts/setup.sh (build/spam.model, trained on train/).
Messages sent through the gateway are chosen by running `scan` here, not hard-coded."""
import json
import pathlib
import subprocess
import time

import pytest

from conftest import BINARY, REPO, SPAM_MODEL, wait_until
from delivery_fixtures import MX1_ADDR, SENDER_MX_ADDR, dns, make_gateway, mx_port, receivers

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

IP_USER = "127.0.0.2/32"
SENDER = "alice@sender.test"
RCPT = "bob@dest.test"
CLI_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def corpus() -> pathlib.Path:
    out = subprocess.run([str(REPO / "scripts" / "spam_corpus.sh")], capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        pytest.fail(f"scripts/spam_corpus.sh failed: {out.stderr.strip()}")
    path = pathlib.Path(out.stdout.strip())
    assert (path / "test" / "spam").is_dir() and (path / "test" / "ham").is_dir()
    if not SPAM_MODEL.is_file():
        pytest.fail(f"{SPAM_MODEL} missing: scripts/setup.sh trains it")
    return path


def scan(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([str(BINARY), "scan", *args], capture_output=True, text=True,
                         timeout=CLI_TIMEOUT_S)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def verdicts(files: list[pathlib.Path]) -> list[dict]:
    out = scan("--json", "--model", str(SPAM_MODEL), *map(str, files))
    parsed = json.loads(out.stdout)
    assert isinstance(parsed, list) and len(parsed) == len(files)
    return parsed


def test_scan_json_judges_the_held_out_corpus(corpus):
    spam_files = sorted((corpus / "test" / "spam").iterdir())
    ham_files = sorted((corpus / "test" / "ham").iterdir())
    spam, ham = verdicts(spam_files), verdicts(ham_files)
    for v in spam + ham:
        assert set(v) >= {"file", "verdict", "score", "threshold", "unsure_threshold",
                          "known_tokens", "reasons", "model_probability"}
        assert v["verdict"] in ("spam", "unsure", "ham")
        # Spam needs the threshold and enough known tokens; unsure is the band below it (or
        # spam by score on too few known tokens); ham is below both.
        rules = [r["rule"] for r in v["reasons"]]
        if v["verdict"] == "spam":
            assert v["score"] >= v["threshold"]
        elif v["verdict"] == "unsure":
            assert v["score"] >= v["unsure_threshold"]
            assert v["score"] < v["threshold"] or "FEW_KNOWN_TOKENS" in rules
        else:
            assert v["score"] < v["unsure_threshold"]
        assert v["reasons"][0]["rule"] == "BAYES"
        assert "spam probability" in v["reasons"][0]["text"]
        for r in v["reasons"]:
            assert set(r) == {"rule", "text", "score"}
    recall = sum(v["verdict"] == "spam" for v in spam) / len(spam)
    false_positives = sum(v["verdict"] == "spam" for v in ham) / len(ham)
    # Measured: recall 0.90 (6 of 100 unsure), no ham called spam (bench/README.md).
    assert recall >= 0.85, f"held-out recall {recall:.3f}"
    assert false_positives <= 0.002, f"held-out false-positive rate {false_positives:.3f}"
    # A typical held-out spam and ham file, each judged alone, in text form.
    text = scan("--model", str(SPAM_MODEL), str(spam_files[0])).stdout
    assert text.startswith(f"{spam_files[0]}: spam score "), text
    assert "\n  BAYES " in text
    text = scan("--model", str(SPAM_MODEL), str(ham_files[0])).stdout
    assert text.startswith(f"{ham_files[0]}: ham score "), text


def test_scan_refuses_unreadable_files_and_damaged_models(corpus, tmp_path):
    missing = tmp_path / "nope.eml"
    out = scan("--model", str(SPAM_MODEL), str(missing), check=False)
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1 and "nope.eml" in out.stderr
    damaged = tmp_path / "damaged.model"
    raw = bytearray(SPAM_MODEL.read_bytes())
    raw[len(raw) // 2] ^= 0x55
    damaged.write_bytes(bytes(raw))
    ham = sorted((corpus / "test" / "ham").iterdir())[0]
    out = scan("--model", str(damaged), str(ham), check=False)
    assert out.returncode != 0 and "checksum" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    # Without any model the rules judge alone, and say so.
    out = scan("--json", str(ham))
    assert json.loads(out.stdout)[0]["model_probability"] is None
    assert "rules judge alone" in out.stderr


def wire_bytes(path: pathlib.Path) -> bytes | None:
    """A corpus file as DATA: no mbox From line, CRLF, dot-stuffed; None when it is not 7-bit or
    has lines too long for SMTP (those would test the protocol, not the classifier)."""
    raw = path.read_bytes()
    if any(b >= 0x80 for b in raw):
        return None
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    if any(len(line) > 900 for line in lines):
        return None
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


def pick(folder: pathlib.Path, verdict: str, count: int) -> list[bytes]:
    """`count` sendable files of `folder` that `scan` judges `verdict`."""
    candidates = [(p, wire_bytes(p)) for p in sorted(folder.iterdir())]
    candidates = [(p, data) for p, data in candidates if data is not None]
    judged = verdicts([p for p, _ in candidates])
    chosen = [data for (p, data), v in zip(candidates, judged) if v["verdict"] == verdict]
    assert len(chosen) >= count, f"only {len(chosen)} {verdict} files in {folder}"
    return chosen[:count]


def attempt(gw, data: bytes):
    wire = gw.session(source="127.0.0.2")
    try:
        reply = wire.cmd(f"MAIL FROM:<{SENDER}>")
        if reply.code != 250:
            return reply
        reply = wire.cmd(f"RCPT TO:<{RCPT}>")
        if reply.code != 250:
            return reply
        reply = wire.data(data)
        wire.cmd("QUIT")
        return reply
    finally:
        wire.close()


def locked(gw) -> bool:
    shown = json.loads(gw.cli("user", "show", IP_USER, "--json").stdout)
    return shown.get("lock", {}).get("locked", False)


def test_corpus_spam_burst_locks_the_sender_and_held_out_ham_passes(corpus, make_gateway,
                                                                   receivers):
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    spam = pick(corpus / "test" / "spam", "spam", 3)
    ham = pick(corpus / "test" / "ham", "ham", 3)
    gw = make_gateway(start=False)
    gw.install_spam_model()
    gw.cli("user", "set", IP_USER, "lock_spam_threshold=2", "lock_window_minutes=10")
    gw.start()
    assert "event=spam_model_loaded" in gw.log_text()
    for n, data in enumerate(ham, 1):
        reply = attempt(gw, data)
        assert reply.code == 250, f"ham {n}: {reply.line}"
    for n, data in enumerate(spam, 1):
        reply = attempt(gw, data)
        assert reply.code == 550 and "quarantine" in reply.line, f"spam {n}: {reply.line}"
        assert locked(gw) == (n == 3), f"after spam {n}"
    held = json.loads(gw.cli("quarantine", "list", "--json").stdout)
    assert len(held) == 3
    assert all(row["check"] == "spam" and "BAYES" in row["reasons"] for row in held), held
    # Locked: even the ham is refused now, at MAIL.
    reply = attempt(gw, ham[0])
    assert reply.code == 550 and "locked" in reply.line, reply.line


def test_domain_spam_threshold_overrides_the_default(corpus, make_gateway, receivers):
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    spam = pick(corpus / "test" / "spam", "spam", 1)[0]
    gw = make_gateway(start=False)
    gw.install_spam_model()
    gw.cli("domain", "set", "sender.test", "spam_threshold=100000")
    gw.start()
    domains = json.loads(gw.cli("domain", "list", "--json").stdout)
    assert [d["spam_threshold"] for d in domains if d["name"] == "sender.test"] == [100000]
    assert attempt(gw, spam).code == 250  # under this domain's own threshold
    gw.cli("domain", "set", "sender.test", "spam_threshold=")
    assert json.loads(gw.cli("domain", "list", "--json").stdout)[0]["spam_threshold"] is None
    # The server picks the change up at its next reload; then the default threshold applies.
    assert wait_until(lambda: attempt(gw, spam).code == 550, 15)
    bad = gw.cli("domain", "set", "sender.test", "spam_threshold=abc", check=False)
    assert bad.returncode != 0 and "spam_threshold" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_serve_without_a_model_warns_once_and_judges_by_rules(make_gateway):
    gw = make_gateway()
    time.sleep(0.2)
    assert gw.log_text().count("event=spam_model_missing") == 1
