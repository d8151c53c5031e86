"""Download everything held about me: one ZIP archive of a household's own data (issue 14 §9, GDPR art. 15 and 20).

:func:`archive` builds it for one person, reading through the policy layer only — the points through
:class:`~meterhub.portal.household.Household` (their own, cut to their own occupancy), the access log through
:func:`meterhub.api.routes_market.own_reads`:

* ``README.txt`` — what each file holds, in the person's language;
* ``account.json`` — the party (name, code) and the login (username, role, created, MFA on or off — never the
  password hash, the TOTP secret or a session), the notification contact if any;
* ``metering_points.json`` — each point (EAN, address, grid area, DSO), its meters while the person lived there,
  the person's own occupancy and the suppliers of record within it (a former or later occupant is never named);
* ``consents.json`` — the consents the person granted or was asked for, with the party's name;
* ``access_log.csv`` — who read the data of the points during the person's occupancy (their own reads too);
* ``intervals/<EAN>_<medium>.csv`` — every interval value of each point and medium within the person's
  windows (local start with its UTC offset, value in the channel's unit, quality);
* any section another page registers with :func:`section` (the home profile of the comparison page, once it
  holds one).

The interval reads are logged in the access log like any page's (``portal:privacy-archive``).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from meterhub.api.routes_market import occupancy_of, own_reads
from meterhub.api.service import NotVisible
from meterhub.api.spans import FOREVER, Span
from meterhub.country import LOCAL_TZ
from meterhub.mdm.quality import Quality
from meterhub.portal.household import Household, Slots
from meterhub.portal.i18n import Gettext

Section = Callable[[Household], dict[str, bytes]]
SECTIONS: Final[list[Section]] = []
"""Further parts of the archive: each gives ``{file name: content}`` for a household (empty: nothing held)."""
ACCESS_LOG_MAX: Final = 100_000
"""The most access-log rows one archive holds (the newest)."""


def section(fn: Section) -> Section:
    """Register ``fn`` as a part of every archive (a page module calls it at import)."""
    SECTIONS.append(fn)
    return fn


def _iso(at: datetime | None) -> str | None:
    if at is None or at >= FOREVER:
        return None
    return at.astimezone(LOCAL_TZ).isoformat()


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def _overlaps(start: datetime, end: datetime | None, spans: list[Span]) -> list[tuple[datetime, datetime]]:
    stop = end or FOREVER
    return [(max(start, s.start), min(stop, s.end)) for s in spans if start < s.end and s.start < stop]


def _account(h: Household) -> dict[str, Any]:
    store, user = h.portal.store, h.person.user
    party = store.get_party(user.party_id)
    contact = store.contact_of(user.party_id)
    return {
        "party": None if party is None else {"id": party.id, "kind": party.kind, "code": party.code,
                                             "name": party.name},
        "login": {"username": user.username, "role": user.role, "created_at": _iso(user.created_at),
                  "authenticator_app": user.totp_secret is not None, "disabled": user.disabled},
        "notification_contact": None if contact is None else {
            "email": contact.email, "language": contact.lang, "consent_mails": contact.consent_mail,
            "updated_at": _iso(contact.updated_at)},
    }  # fmt: skip


def _points(h: Household, occupancy: dict[int, list[Span]]) -> list[dict[str, Any]]:
    store = h.portal.store
    names = {p.id: p.name for p in store.list_parties()}
    histories = store.point_histories(list(occupancy))
    out = []
    for vp in h.points:
        p, mine = vp.point, occupancy.get(vp.point.id, [])
        hist = histories.get(p.id)
        meters = [
            {"serial": pm.meter.serial, "medium": pm.meter.medium, "model": pm.meter.model,
             "firmware": pm.meter.firmware, "mbus_channel": pm.meter.mbus_channel,
             "while_you_lived_here": [{"from": _iso(a), "to": _iso(b)} for a, b in cut]}
            for pm in store.point_meters(p.id)
            if (cut := _overlaps(pm.valid_from, pm.valid_to, mine))
        ]  # fmt: skip
        suppliers = [
            {"supplier": names.get(s.party_id, str(s.party_id)), "from": _iso(a), "to": _iso(b)}
            for s in (hist.suppliers if hist else [])
            for a, b in _overlaps(s.start, s.end, mine)
        ]
        out.append({
            "ean": p.ean, "address": p.address, "postcode": p.postcode, "grid_area": p.grid_area,
            "dso": names.get(vp.dso, str(vp.dso)),
            "your_occupancy": [{"from": _iso(s.start), "to": _iso(s.end)} for s in mine],
            "suppliers_of_record": suppliers, "meters": meters,
            "media": [m.key for m in h.media(p.id)],
        })  # fmt: skip
    return out


def _consents(h: Household) -> list[dict[str, Any]]:
    store = h.portal.store
    names = {p.id: p.name for p in store.list_parties()}
    eans = {vp.point.id: vp.point.ean for vp in h.points}
    return [
        {"id": c.id, "party": names.get(c.grantee_id, str(c.grantee_id)), "status": c.status,
         "scopes": list(c.scopes), "metering_points": [eans.get(pid, str(pid)) for pid in c.point_ids],
         "data_from": _iso(c.valid_from), "data_until": _iso(c.valid_to), "created_at": _iso(c.created_at),
         "answered_at": _iso(c.answered_at), "revoked_at": _iso(c.revoked_at)}
        for c in store.consents_of_party(h.person.user.party_id)
        if c.grantor_id == h.person.user.party_id
    ]  # fmt: skip


def _access_log(h: Household) -> bytes:
    entries, _total = own_reads(h.access, limit=ACCESS_LOG_MAX)
    names = {p.id: p.name for p in h.portal.store.list_parties()}
    eans = {vp.point.id: vp.point.ean for vp in h.points}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["at", "party", "role", "metering_point", "scope", "period_from", "period_to", "right", "route"])
    for e in entries:
        w.writerow([_iso(e.at), names.get(e.party_id, str(e.party_id)), e.role,
                    eans.get(e.metering_point_id, str(e.metering_point_id)), e.scope, _iso(e.period_from),
                    _iso(e.period_to), e.right, e.route])  # fmt: skip
    return buf.getvalue().encode()


_QUALITY: Final = {int(q): q.name.lower() for q in Quality}


def _intervals(h: Household, occupancy: dict[int, list[Span]]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for vp in h.points:
        mine = occupancy.get(vp.point.id, [])
        if not mine:
            continue
        start, end = mine[0].start, min(mine[-1].end, h.now)
        if start >= end:
            continue
        for medium in h.media(vp.point.id):
            try:
                s = h.slots(vp.point.id, medium.obis, start, end)
            except (NotVisible, LookupError):
                continue
            out[f"intervals/{vp.point.ean}_{medium.key}.csv"] = _slots_csv(s)
    return out


def _local_iso(epochs: npt.NDArray[np.int64]) -> list[str]:
    """Each epoch as local ISO 8601 time with its UTC offset (``2026-03-29T03:00:00+02:00``), vectorised: the zone
    is asked once per distinct hour (offsets change on the hour), numpy formats the rest."""
    hours, inverse = np.unique(epochs // 3600, return_inverse=True)
    offsets = np.array([_offset_s(int(h) * 3600) for h in hours.tolist()], np.int64)[inverse]
    naive = np.datetime_as_string((epochs + offsets).astype("datetime64[s]"), unit="s").tolist()
    kinds, which = np.unique(offsets, return_inverse=True)
    suffix = [_offset_text(int(k)) for k in kinds.tolist()]
    return [t + suffix[i] for t, i in zip(naive, which.tolist(), strict=True)]


def _offset_s(epoch: int) -> int:
    offset = datetime.fromtimestamp(epoch, LOCAL_TZ).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _offset_text(seconds: int) -> str:
    sign, mag = ("-" if seconds < 0 else "+"), abs(seconds)
    return f"{sign}{mag // 3600:02d}:{mag % 3600 // 60:02d}"


def _slots_csv(s: Slots) -> bytes:
    """One channel's slots as CSV: local start with offset, interval, value (empty when missing), quality name."""
    codes = (s.quality & 0x07).astype(np.int64).tolist()
    whole = bool(np.all(s.values == np.rint(s.values)))
    values = s.values.astype(np.int64).tolist() if whole else [f"{v:g}" for v in s.values.tolist()]
    missing = int(Quality.MISSING)
    step = s.interval_s
    lines = [
        f"{at},{step},{'' if c == missing else v},{_QUALITY.get(c, 'unknown')}"
        for at, v, c in zip(_local_iso(s.epochs), values, codes, strict=True)
    ]
    return ("\n".join([f"start,interval_s,value_{s.unit},quality", *lines]) + "\n").encode()


def readme(_: Gettext, files: list[str], at: datetime) -> str:
    lines = [
        _("Everything meterhub holds about you, as of %(at)s.", at=at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")),
        "",
        "account.json — " + _("your household and your login (never your password or your authenticator key)"),
        "metering_points.json — " + _("your metering points, their meters and suppliers while you lived there"),
        "consents.json — " + _("the consents you gave or were asked for"),
        "access_log.csv — " + _("who read the data of your points during your occupancy"),
        "intervals/ — " + _("every interval value of each point and medium while you lived there (CSV)"),
        "",
        _("Times are local (Europe/Luxembourg) with their UTC offset. Energy in Wh, gas and water in litres."),
        "",
        *files,
    ]
    return "\n".join(lines) + "\n"


def archive(h: Household, _: Gettext) -> bytes:
    """The ZIP archive of everything held about ``h``'s person (see the module docstring)."""
    occupancy = occupancy_of(h.access)
    files: dict[str, bytes] = {
        "account.json": _json(_account(h)),
        "metering_points.json": _json(_points(h, occupancy)),
        "consents.json": _json(_consents(h)),
        "access_log.csv": _access_log(h),
    }
    files.update(_intervals(h, occupancy))
    for extra in SECTIONS:
        files.update(extra(h))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", readme(_, sorted(files), h.now))
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


__all__ = ["ACCESS_LOG_MAX", "SECTIONS", "Section", "archive", "readme", "section"]
