"""Notification e-mails (:mod:`meterhub.api.notify`) on SQLite and PostgreSQL: every notice has its text in the three
languages; the outbox writes RFC 5322 files a mail parser reads back; a real SMTP conversation over 127.0.0.1 carries
a message (``smtp+plain://``), and ``smtp://`` refuses a relay without STARTTLS — logged, never raised, the address
not in the log; the sweep tells of an ended consent once (e-mails and the ``consent.expired`` webhook); the demo's
contacts are set once and a household's own choice is kept."""

from __future__ import annotations

import email
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.policy import default
from pathlib import Path

import pytest

from meterhub.api import notify
from meterhub.api.notify import LINES, NOTICES, SCOPES, TEXTS, Outbox, Smtp, mailer_from_env, notify_consent
from meterhub.api.sweeps import sweep
from meterhub.demo_market import DemoLogin, demo_contacts
from meterhub.store import Store
from tests.api.world import NOW, World, build_world
from tests.pg import BACKENDS, open_store


@pytest.fixture(params=BACKENDS)
def market(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, World]]:
    with open_store(request.param, tmp_path) as store:
        yield store, build_world(store)


def test_every_notice_is_written_in_every_language() -> None:
    keys = set(TEXTS["en"])
    assert {n for n, _ in keys} == set(NOTICES)
    for lang in notify.LANGS:
        assert (
            set(TEXTS[lang]) == keys and set(LINES[lang]) == set(LINES["en"]) and set(SCOPES[lang]) == set(SCOPES["en"])
        )


class _Relay:
    """A minimal SMTP server on 127.0.0.1 (EHLO without STARTTLS, MAIL, RCPT, DATA, QUIT): one conversation."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as rf:
            conn.sendall(b"220 test relay\r\n")
            data: list[bytes] | None = None
            for line in rf:
                if data is not None:
                    if line == b".\r\n":
                        self.received.append(b"".join(data))
                        data = None
                        conn.sendall(b"250 queued\r\n")
                    else:
                        data.append(line[1:] if line.startswith(b"..") else line)
                    continue
                verb = line[:4].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250-test relay\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    data = []
                    conn.sendall(b"354 go on\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")


def test_outbox_and_smtp_carry_the_message(market: tuple[Store, World], tmp_path: Path) -> None:
    store, w = market
    store.set_contact(w.parties["bob"], "bob@example.lu", "de", True, NOW)
    consent = store.get_consent(w.consents["bob_esp"])
    assert consent is not None
    outbox = Outbox(tmp_path / "outbox")
    assert notify_consent(outbox, store, "granted", consent, NOW) == 1  # the ESP has no contact: bob only
    (path,) = outbox.messages()
    msg = email.message_from_bytes(path.read_bytes(), policy=default)
    assert msg["Subject"] == "Sie haben ESP Zugriff auf Ihre Daten gegeben" and msg["Content-Language"] == "de"
    assert "Viertelstundenverbrauch" in msg.get_content()  # type: ignore[attr-defined]
    relay = _Relay()
    assert notify_consent(Smtp(f"smtp+plain://127.0.0.1:{relay.port}"), store, "revoked", consent, NOW) == 1
    relay.thread.join(5)
    (raw,) = relay.received
    sent = email.message_from_bytes(raw, policy=default)
    assert sent["To"] == "bob@example.lu" and sent["Subject"] == "ESP sieht Ihre Daten nicht mehr"


def test_smtp_without_starttls_is_refused_and_logged_without_the_address(
    market: tuple[Store, World], caplog: pytest.LogCaptureFixture
) -> None:
    store, w = market
    store.set_contact(w.parties["bob"], "bob@example.lu", "en", True, NOW)
    consent = store.get_consent(w.consents["bob_esp"])
    assert consent is not None
    relay = _Relay()
    with caplog.at_level(logging.WARNING, "meterhub.notify"):
        assert notify_consent(Smtp(f"smtp://user:pw-secret@127.0.0.1:{relay.port}"), store, "revoked", consent,
                              NOW) == 0  # fmt: skip
    assert relay.received == [] and "not sent" in caplog.text
    assert "bob@example.lu" not in caplog.text and "pw-secret" not in caplog.text
    with pytest.raises(ValueError, match="MH_SMTP_URL"):
        Smtp("http://relay.example")


def test_mailer_from_env(tmp_path: Path) -> None:
    assert mailer_from_env({}) is None
    box = mailer_from_env({"MH_OUTBOX_DIR": str(tmp_path), "MH_MAIL_FROM": "Portal <p@example.lu>"})
    assert isinstance(box, Outbox) and box.folder == tmp_path and box.sender == "Portal <p@example.lu>"
    relay = mailer_from_env({"MH_SMTP_URL": "smtps://relay.example", "MH_OUTBOX_DIR": str(tmp_path)})
    assert isinstance(relay, Smtp)


def test_the_sweep_tells_of_an_ended_consent_once(market: tuple[Store, World], tmp_path: Path) -> None:
    store, w = market
    carol, esp, p2 = w.parties["carol"], w.parties["esp"], w.points["P2"]
    store.set_contact(carol, "carol@example.lu", "fr", True, NOW)
    store.set_contact(esp, "privacy@esp.example", "en", True, NOW)
    ended = store.add_consent(carol, esp, [p2], ["interval_data"], NOW - timedelta(days=30), NOW - timedelta(days=1),
                              "active", NOW - timedelta(days=30))  # fmt: skip
    store.add_consent(carol, esp, [p2], ["billing_reads"], NOW - timedelta(days=30), NOW + timedelta(days=1),
                      "active", NOW - timedelta(days=30))  # fmt: skip
    sub = store.add_webhook(esp, "http://127.0.0.1:9/hook", ("consent.expired",), "whsec_test", NOW)
    outbox = Outbox(tmp_path / "outbox")
    # as each poll of `meterhub webhooks deliver` does: the webhook sweep (consent.expired, once), then the e-mails
    assert sweep(store, NOW).expired == 1 and notify.notify_expired(store, outbox, NOW) == 1
    later = NOW + timedelta(minutes=1)
    assert sweep(store, later).expired == 0 and notify.notify_expired(store, outbox, later) == 0
    subjects = sorted(email.message_from_bytes(p.read_bytes(), policy=default)["Subject"] for p in outbox.messages())
    assert subjects == [f"Consent {ended} expired", "L'accès de ESP a pris fin"]
    queued = [d for d in store.claim_webhook_deliveries(NOW, timedelta(minutes=5), 10) if d.subscription_id == sub]
    assert [d.payload["event"] for d in queued] == ["consent.expired"]  # one event: the two sweeps do not both send


def test_demo_contacts_are_set_once(tmp_path: Path) -> None:
    with open_store("sqlite", tmp_path) as store:
        nergie = store.add_party("esp", "nergie", "Nergie Insights")
        enovos = store.add_party("supplier", "enovos", "Enovos Luxembourg")
        home = store.add_party("customer", "C0000001", "Household 000001")
        logins = [DemoLogin("customer", "demo-customer", "x", None, home)]
        assert demo_contacts(store, logins, NOW) == 3
        assert store.contact_of(nergie).email == "consents@nergie.example.lu"  # type: ignore[union-attr]
        assert store.contact_of(enovos).lang == "fr"  # type: ignore[union-attr]
        store.set_contact(home, "me@example.lu", "de", False, NOW)
        assert demo_contacts(store, logins, NOW) == 0
        assert store.contact_of(home).email == "me@example.lu"  # type: ignore[union-attr]
