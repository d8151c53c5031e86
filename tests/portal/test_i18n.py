"""The portal's languages: every string marked for translation in the portal's templates and modules has a French
and a German translation in the catalogues, placeholders kept; the language is chosen by ``?lang=``, the cookie and
``Accept-Language``; a page renders in each language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from meterhub.portal import i18n

PORTAL = Path(i18n.__file__).resolve().parent
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _marked() -> dict[str, str]:
    """msgid → where it was found (file:line), for every marked string of the portal."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        PORTAL, METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_the_portal_marks_strings() -> None:
    assert len(_marked()) > 10


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_every_marked_string_is_translated(lang: str) -> None:
    known: dict[object, str] = i18n.translations(lang)._catalog  # type: ignore[attr-defined]
    missing = [f"{where}: {msgid!r}" for msgid, where in _marked().items() if not known.get(msgid)]
    assert not missing, f"{len(missing)} strings lack a {lang} translation:\n" + "\n".join(missing[:40])


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_translations_keep_their_placeholders(lang: str) -> None:
    catalog = i18n.translations(lang)
    wrong = []
    for msgid in _marked():
        text = catalog.gettext(msgid)
        if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid)):
            wrong.append(f"{msgid!r} → {text!r}")
    assert not wrong, "\n".join(wrong)


def test_the_language_is_chosen_by_query_cookie_then_browser() -> None:
    assert i18n.choose("de", "fr", "en") == "de"
    assert i18n.choose(None, "fr", "de-LU,de;q=0.9") == "fr"
    assert i18n.choose("xx", None, "de-LU,de;q=0.9,fr;q=0.8") == "de"
    assert i18n.choose(None, None, "fr;q=0.4, de;q=0.7, en;q=0.5") == "de"
    assert i18n.choose(None, None, "lb-LU, nl;q=0.9") == "en"
    assert i18n.choose(None, None, "fr;q=abc") == "en"
    assert i18n.choose(None, None, None) == "en"


def test_tr_fills_placeholders() -> None:
    class _Req:
        class state:
            lang = "fr"

    assert i18n.tr(_Req())("Log out") == "Se déconnecter"  # type: ignore[arg-type]


def test_the_switch_keeps_the_choice_in_a_cookie(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from meterhub.portal.site import create_site
    from meterhub.store import Store

    with Store.open(tmp_path) as store:
        c = TestClient(create_site(store))
        r = c.get("/?lang=de")
        assert '<html lang="de">' in r.text and "mh_lang=de" in r.headers["set-cookie"]
        assert "HttpOnly" in r.headers["set-cookie"] and r.headers["x-frame-options"] == "DENY"
        assert '<html lang="de">' in c.get("/").text  # the cookie
        assert '<html lang="fr">' in c.get("/", headers={"Accept-Language": "fr"}, cookies={"mh_lang": ""}).text
        c.cookies.clear()
        assert '<html lang="fr">' in c.get("/", headers={"Accept-Language": "fr-LU,fr;q=0.9"}).text
        assert "set-cookie" not in c.get("/?lang=xx").headers


def test_the_switch_keeps_the_other_query_parameters() -> None:
    assert i18n.lang_query("", "fr") == "lang=fr"
    assert i18n.lang_query("level=7", "fr") == "level=7&lang=fr"
    assert i18n.lang_query("lang=de&point=3&level=7", "en") == "point=3&level=7&lang=en"  # replaced, order kept
    assert i18n.lang_query("from=2025-01-01&to=&lang=fr&lang=de", "de") == "from=2025-01-01&to=&lang=de"
    assert i18n.lang_query("q=a+b%26c", "fr") == "q=a+b%26c&lang=fr"  # values stay encoded as they were


def test_the_switch_links_of_a_page_with_parameters(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from meterhub.portal.site import create_site
    from meterhub.store import Store

    with Store.open(tmp_path) as store:
        c = TestClient(create_site(store))
        page = c.get("/", params={"level": "7", "lang": "de"}).text
        assert '<html lang="de">' in page
        for code in ("en", "fr", "de"):
            assert f'href="?level=7&amp;lang={code}" lang="{code}"' in page
        assert 'href="?lang=fr" lang="fr"' in c.get("/").text  # a page without parameters


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_string_has_one_translation_across_the_catalogues(lang: str) -> None:
    """The catalogues are merged into one: a msgid in two page catalogues must read the same in both (else one page
    shows the other's wording), and the portal's terms stay one (Zählpunkt / point de comptage)."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in sorted((i18n.LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f, locale=lang):
                key = m.id if isinstance(m.id, str) else m.id[0]
                if not key:
                    continue
                first = seen.setdefault(key, (po.name, str(m.string)))
                if first[1] != str(m.string):
                    clashes.append(f"{key!r}: {first[0]} {first[1]!r} ≠ {po.name} {m.string!r}")
                text = str(m.string)
                if "Messpunkt" in text or "Messstelle" in text or "point de mesure" in text.lower():
                    clashes.append(f"{po.name}: {text!r} (the portal says Zählpunkt / point de comptage)")
    assert not clashes, "\n".join(clashes)
