"""Notification e-mails: RFC 5322 messages about consents, written to an outbox folder or sent over SMTP.

A party (a household, a supplier, an ESP) that gave an address (:mod:`meterhub.store.contacts`: e-mail, language,
consent mails wanted) is told when a consent that concerns it changes — :func:`consent_notices`: a household
when a party asks it for a consent, and both sides when a consent is granted (or a request accepted), refused,
revoked or has expired. Each message is in its reader's language (English, French or German: the texts are in
:data:`TEXTS`, dates formatted by Babel) and names the party, the metering points by EAN, what may be seen and
the period — never a password, a token, a secret or another household's details.

Where the messages go is a :class:`Mailer`: :class:`Outbox` writes each as a ``.eml`` file into a folder (the
demo's ``<data-dir>/outbox/``; any mail client opens them), :class:`Smtp` sends it to a relay — ``smtp://``
with STARTTLS required (``smtp+plain://`` for a local relay without TLS, e.g. a test server), ``smtps://`` with
TLS from the start, user and password in the URL's userinfo. :func:`mailer_from_env` reads ``MH_SMTP_URL``
(first) or ``MH_OUTBOX_DIR``; ``MH_MAIL_FROM`` is the sender. :func:`notify_consent` never fails the request
that caused it: a mail that cannot be written or sent is logged (event, consent and party ids, never an address
or a credential) and dropped. :func:`notify_expired` is the sweep that tells of consents that reached their end
(once each, recorded in the store).
"""

from __future__ import annotations

import itertools
import logging
import os
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Final, Literal, Protocol
from urllib.parse import unquote, urlsplit

from babel.dates import format_date

from meterhub.country import LOCAL_TZ
from meterhub.store import Store
from meterhub.store.consents import ConsentRow
from meterhub.store.contacts import Contact

log = logging.getLogger("meterhub.notify")

SMTP_ENV: Final = "MH_SMTP_URL"
OUTBOX_ENV: Final = "MH_OUTBOX_DIR"
FROM_ENV: Final = "MH_MAIL_FROM"
DEFAULT_FROM: Final = "meterhub <no-reply@meterhub.invalid>"
LANGS: Final = ("en", "fr", "de")

Notice = Literal["requested", "granted", "refused", "revoked", "expired"]
NOTICES: Final[tuple[Notice, ...]] = ("requested", "granted", "refused", "revoked", "expired")


class Mailer(Protocol):
    """Where messages go."""

    @property
    def sender(self) -> str: ...

    def send(self, message: EmailMessage) -> None: ...


_SEQUENCE: Final = itertools.count()


@dataclass(frozen=True)
class Outbox:
    """Each message a ``.eml`` file in ``folder`` (created if needed), written whole then renamed into place."""

    folder: Path
    sender: str = DEFAULT_FROM

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(LOCAL_TZ).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{next(_SEQUENCE):06d}-{uuid.uuid4().hex[:8]}.eml"  # sorts in the order written
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(message))
        tmp.replace(self.folder / name)

    def messages(self) -> list[Path]:
        """The messages written so far, oldest first."""
        return sorted(self.folder.glob("*.eml")) if self.folder.is_dir() else []


@dataclass(frozen=True)
class Smtp:
    """A relay from a URL: ``smtp://[user:password@]host[:587]`` (STARTTLS required), ``smtps://…[:465]``,
    ``smtp+plain://host[:25]`` (no TLS: a local relay only)."""

    url: str
    sender: str = DEFAULT_FROM
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps", "smtp+plain") or not parts.hostname:
            raise ValueError(f"{SMTP_ENV}: give smtp://HOST[:PORT], smtps://HOST[:PORT] or smtp+plain://HOST[:PORT]")

    def send(self, message: EmailMessage) -> None:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        default_port = {"smtp": 587, "smtps": 465, "smtp+plain": 25}[parts.scheme]
        port = parts.port or default_port
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=self.timeout_s)
        with client:
            if parts.scheme == "smtp":
                client.starttls(context=context)  # refuses (SMTPNotSupportedError) a relay without STARTTLS
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)


def mailer_from_env(environ: dict[str, str] | None = None) -> Mailer | None:
    """The mailer that ``MH_SMTP_URL`` or else ``MH_OUTBOX_DIR`` names (None: no e-mails)."""
    env = os.environ if environ is None else environ
    sender = env.get(FROM_ENV) or DEFAULT_FROM
    if env.get(SMTP_ENV):
        return Smtp(env[SMTP_ENV], sender)
    if env.get(OUTBOX_ENV):
        return Outbox(Path(env[OUTBOX_ENV]), sender)
    return None


# ------------------------------------------------------------------------------------------------- the texts

SCOPES: Final[dict[str, dict[str, str]]] = {
    "en": {"interval_data": "quarter-hour consumption", "billing_reads": "billing reads",
           "live_p1": "live data from the P1 port"},
    "fr": {"interval_data": "consommation au quart d'heure", "billing_reads": "relevés de facturation",
           "live_p1": "données en direct du port P1"},
    "de": {"interval_data": "Viertelstundenverbrauch", "billing_reads": "Abrechnungsablesungen",
           "live_p1": "Live-Daten der P1-Schnittstelle"},
}  # fmt: skip

# (subject, first paragraph) per language, notice and reader ("customer": the household; "party": the grantee)
TEXTS: Final[dict[str, dict[tuple[Notice, str], tuple[str, str]]]] = {
    "en": {
        ("requested", "customer"): (
            "{party} asks to see your data",
            "{party} asks for access to your data. Nothing is shared until you accept.",
        ),
        ("granted", "customer"): (
            "You gave {party} access to your data",
            "{party} may now see the data below. You can revoke it at any time.",
        ),
        ("granted", "party"): ("Consent {id} granted", "A household granted you access (consent {id})."),
        ("refused", "party"): ("Consent request {id} refused", "The household refused your request (consent {id})."),
        ("revoked", "customer"): (
            "{party} no longer sees your data",
            "You revoked the access of {party}. It ended at once.",
        ),
        ("revoked", "party"): (
            "Consent {id} revoked",
            "The household revoked consent {id}. Your access ended at once.",
        ),
        ("expired", "customer"): ("The access of {party} has ended", "The access you gave {party} reached its end."),
        ("expired", "party"): ("Consent {id} expired", "Consent {id} reached its end date. Your access has ended."),
    },
    "fr": {
        ("requested", "customer"): (
            "{party} demande à voir vos données",
            "{party} demande l'accès à vos données. Rien n'est partagé tant que vous n'acceptez pas.",
        ),
        ("granted", "customer"): (
            "Vous avez donné à {party} l'accès à vos données",
            "{party} peut désormais voir les données ci-dessous. Vous pouvez retirer cet accès à tout moment.",
        ),
        ("granted", "party"): ("Consentement {id} accordé", "Un ménage vous a donné accès (consentement {id})."),
        ("refused", "party"): (
            "Demande de consentement {id} refusée",
            "Le ménage a refusé votre demande (consentement {id}).",
        ),
        ("revoked", "customer"): (
            "{party} ne voit plus vos données",
            "Vous avez retiré l'accès de {party}. Il a pris fin immédiatement.",
        ),
        ("revoked", "party"): (
            "Consentement {id} retiré",
            "Le ménage a retiré le consentement {id}. Votre accès a pris fin immédiatement.",
        ),
        ("expired", "customer"): (
            "L'accès de {party} a pris fin",
            "L'accès que vous aviez donné à {party} est arrivé à son terme.",
        ),
        ("expired", "party"): (
            "Consentement {id} expiré",
            "Le consentement {id} est arrivé à sa date de fin. Votre accès a pris fin.",
        ),
    },
    "de": {
        ("requested", "customer"): (
            "{party} bittet um Einsicht in Ihre Daten",
            "{party} bittet um Zugriff auf Ihre Daten. Es wird nichts geteilt, solange Sie nicht zustimmen.",
        ),
        ("granted", "customer"): (
            "Sie haben {party} Zugriff auf Ihre Daten gegeben",
            "{party} kann jetzt die unten genannten Daten sehen. Sie können den Zugriff jederzeit widerrufen.",
        ),
        ("granted", "party"): (
            "Einwilligung {id} erteilt",
            "Ein Haushalt hat Ihnen Zugriff gegeben (Einwilligung {id}).",
        ),
        ("refused", "party"): (
            "Anfrage {id} abgelehnt",
            "Der Haushalt hat Ihre Anfrage abgelehnt (Einwilligung {id}).",
        ),
        ("revoked", "customer"): (
            "{party} sieht Ihre Daten nicht mehr",
            "Sie haben den Zugriff von {party} widerrufen. Er endete sofort.",
        ),
        ("revoked", "party"): (
            "Einwilligung {id} widerrufen",
            "Der Haushalt hat die Einwilligung {id} widerrufen. Ihr Zugriff endete sofort.",
        ),
        ("expired", "customer"): (
            "Der Zugriff von {party} ist beendet",
            "Der Zugriff, den Sie {party} gegeben haben, ist abgelaufen.",
        ),
        ("expired", "party"): (
            "Einwilligung {id} abgelaufen",
            "Die Einwilligung {id} hat ihr Enddatum erreicht. Ihr Zugriff ist beendet.",
        ),
    },
}
LINES: Final[dict[str, dict[str, str]]] = {
    "en": {"points": "Metering points", "scopes": "What may be seen", "period": "Data from {start} until {end}",
           "open": "Data from {start}, no end date", "manage": "See and change your consents on the Privacy page:",
           "manage_party": "Your consents are listed on the Consents page:",
           "why": "You receive this message because this address is set for consent notifications. "
                  "Turn them off on the Privacy page."},
    "fr": {"points": "Points de comptage", "scopes": "Ce qui peut être vu", "period": "Données du {start} au {end}",
           "open": "Données à partir du {start}, sans date de fin",
           "manage": "Consultez et modifiez vos consentements sur la page Vie privée :",
           "manage_party": "Vos consentements sont listés sur la page Consentements :",
           "why": "Vous recevez ce message parce que cette adresse est indiquée pour les avis de consentement. "
                  "Désactivez-les sur la page Vie privée."},
    "de": {"points": "Zählpunkte", "scopes": "Was gesehen werden darf", "period": "Daten vom {start} bis {end}",
           "open": "Daten ab {start}, ohne Enddatum",
           "manage": "Ihre Einwilligungen sehen und ändern Sie auf der Seite Datenschutz:",
           "manage_party": "Ihre Einwilligungen stehen auf der Seite Einwilligungen:",
           "why": "Sie erhalten diese Nachricht, weil diese Adresse für Hinweise zu Einwilligungen angegeben ist. "
                  "Sie können sie auf der Seite Datenschutz abschalten."},
}  # fmt: skip
PORTAL_URL_ENV: Final = "MH_PORTAL_URL"
"""The portal's address the messages link to (``https://portal.example.lu``); empty: a path only."""
_ONE_DAY: Final = timedelta(days=1)


def _lang(contact: Contact) -> str:
    return contact.lang if contact.lang in LANGS else "en"


def _day(at: datetime, lang: str) -> str:
    return format_date(at.astimezone(LOCAL_TZ).date(), format="long", locale=lang)


def message(
    notice: Notice,
    reader: Literal["customer", "party"],
    contact: Contact,
    consent: ConsentRow,
    party_name: str,
    eans: Sequence[str],
    sender: str,
    at: datetime,
    portal_url: str = "",
) -> EmailMessage | None:
    """The message of ``notice`` about ``consent`` for ``contact`` (None: this reader is not told of it)."""
    lang = _lang(contact)
    text = TEXTS[lang].get((notice, reader))
    if text is None:
        return None
    lines = LINES[lang]
    subject, lead = (part.format(party=party_name, id=consent.id) for part in text)
    start = _day(consent.valid_from, lang)
    # valid_to is the midnight after the last day: the last day covered is the day before
    end = None if consent.valid_to is None else _day(consent.valid_to.astimezone(LOCAL_TZ) - _ONE_DAY, lang)
    period = lines["open"].format(start=start) if end is None else lines["period"].format(start=start, end=end)
    scopes = ", ".join(SCOPES[lang].get(s, s) for s in consent.scopes)
    page = "/privacy" if reader == "customer" else "/consents"
    body = [lead, "", f"{lines['points']}: {', '.join(eans)}", f"{lines['scopes']}: {scopes}", period, "",
            lines["manage" if reader == "customer" else "manage_party"], f"{portal_url.rstrip('/')}{page}", "",
            "-- ", lines["why"]]  # fmt: skip
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = contact.email
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at.astimezone(LOCAL_TZ))
    msg["Message-ID"] = make_msgid(domain="meterhub.invalid")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content("\n".join(body) + "\n")
    msg["Content-Language"] = lang  # after set_content, which replaces the Content-* headers
    return msg


def consent_notices(store: Store, notice: Notice, consent: ConsentRow, sender: str, at: datetime,
                    portal_url: str = "") -> list[EmailMessage]:  # fmt: skip
    """The messages of ``notice`` about ``consent``: to the household and to the party, each if it has a contact
    that wants consent mails."""
    contacts = store.contacts_of([consent.grantor_id, consent.grantee_id])
    party = store.get_party(consent.grantee_id)
    name = party.name if party is not None else f"#{consent.grantee_id}"
    eans = [p.ean if (p := store.get_metering_point(pid)) is not None else str(pid) for pid in consent.point_ids]
    out: list[EmailMessage] = []
    for reader, party_id in (("customer", consent.grantor_id), ("party", consent.grantee_id)):
        contact = contacts.get(party_id)
        if contact is None or not contact.consent_mail:
            continue
        msg = message(notice, reader, contact, consent, name, eans, sender, at, portal_url)  # type: ignore[arg-type]
        if msg is not None:
            out.append(msg)
    return out


def notify_consent(mailer: Mailer | None, store: Store, notice: Notice, consent: ConsentRow, at: datetime) -> int:
    """Send :func:`consent_notices` through ``mailer`` (None: nothing); the number sent. Never raises."""
    if mailer is None:
        return 0
    sent = 0
    try:
        notices = consent_notices(store, notice, consent, mailer.sender, at, os.environ.get(PORTAL_URL_ENV, ""))
    except Exception:
        log.exception("consent notice not composed (consent %d, %s)", consent.id, notice)
        return 0
    for msg in notices:
        try:
            mailer.send(msg)
            sent += 1
        except (OSError, smtplib.SMTPException) as e:
            log.warning("consent notice not sent (consent %d, %s): %s", consent.id, notice, type(e).__name__)
    return sent


def notify_expired(store: Store, mailer: Mailer | None, now: datetime) -> int:
    """The e-mails of consents that reached their end: each active consent whose end date has passed is told once
    by e-mail (through ``mailer``, if any; the claim in ``consent_notice`` makes it once whichever worker runs it —
    ``meterhub webhooks deliver`` does at every poll). The grantee's ``consent.expired`` webhook is the other sweep's
    (:func:`meterhub.api.sweeps.sweep_expired`, marked by ``consent.expired_at``). The number of consents told."""
    n = 0
    for cid in store.ended_unnoticed(now):
        if not store.claim_notice(cid, "expired", now):
            continue
        row = store.get_consent(cid)
        if row is None:
            continue
        notify_consent(mailer, store, "expired", row, now)
        n += 1
    return n


__all__ = [
    "DEFAULT_FROM",
    "FROM_ENV",
    "LANGS",
    "NOTICES",
    "OUTBOX_ENV",
    "PORTAL_URL_ENV",
    "SMTP_ENV",
    "TEXTS",
    "Mailer",
    "Notice",
    "Outbox",
    "Smtp",
    "consent_notices",
    "mailer_from_env",
    "message",
    "notify_consent",
    "notify_expired",
]
