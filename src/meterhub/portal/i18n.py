"""The portal's languages: English (the source text), French and German — Luxembourg's languages — from message
catalogues, with the choice of each visitor.

Text in templates is written ``{{ _("Your consumption") }}`` (Jinja2's i18n extension, new style: placeholders
as ``_("%(n)s days", n=3)``), in Python ``tr(request)("…")``. The catalogues are gettext ``.po`` files under
``portal/locale/<lang>/LC_MESSAGES/``, one file per page or area (``home.po``, ``history.po``, …, ``common.po``)
so that pages are translated independently; :func:`translations` merges every file of a language (compiled in
memory with Babel: no build step, no ``.mo`` files in the repository) and caches it. A msgid without a
translation shows the English text; ``tests/portal/test_i18n.py`` extracts every marked string of the portal's
templates and modules and fails on one missing in French or German.

The language of a request (:func:`choose`): ``?lang=fr`` (which the header's switch links to, the page's other
query parameters kept, :func:`lang_query`; it is then kept in the ``mh_lang`` cookie), else that cookie, else
the best of the browser's ``Accept-Language``, else English. :func:`install` wires this into an app: a
middleware sets ``request.state.lang`` and the cookie, and the templates' ``_`` / ``ngettext``, ``lang_of`` and
``lang_href`` (the switch's link) read it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
LANGUAGES: Final = ("en", "fr", "de")
"""The portal's languages, English first (the source text and the default)."""
NAMES: Final = {"en": "English", "fr": "Français", "de": "Deutsch"}
"""Each language by its own name, as the switch shows it."""
COOKIE: Final = "mh_lang"
DEFAULT: Final = "en"

Gettext = Callable[..., str]


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> NullTranslations:
    """Every catalogue of ``lang`` merged (English and unknown languages: the source text itself)."""
    if lang not in LANGUAGES or lang == DEFAULT:
        return NullTranslations()
    merged: NullTranslations | None = None
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        one = Translations(buf)
        if merged is None:
            merged = one
        else:
            merged.merge(one)  # type: ignore[attr-defined]
    return merged or NullTranslations()


def _accept(header: str) -> str | None:
    """The best of :data:`LANGUAGES` in an ``Accept-Language`` header (``fr-LU,fr;q=0.9,en;q=0.5``)."""
    best: tuple[float, str] | None = None
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGUAGES and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's language (see the module docstring)."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return _accept(accept_language or "") or DEFAULT


def lang_of(request: Request) -> str:
    """The language :func:`install`'s middleware chose for ``request`` (English outside it)."""
    return getattr(request.state, "lang", DEFAULT)


def tr(request: Request) -> Gettext:
    """``gettext`` in the request's language, with new-style ``%(name)s`` placeholders."""
    catalog = translations(lang_of(request))

    def gettext(message: str, **variables: Any) -> str:
        text = catalog.gettext(message)
        return text % variables if variables else text

    return gettext


def lang_query(query: str, code: str) -> str:
    """The query string ``query`` (without its ``?``) with ``lang`` set to ``code`` and every other parameter kept
    in its order (a ``lang`` already there replaced): the header's switch links to ``?`` + this, so switching the
    language of ``/network-tariff?level=7`` keeps the level."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"]
    return urlencode([*kept, ("lang", code)])


def _switch_href(request: Request | None, code: str) -> str:
    return "?" + lang_query(request.url.query if request is not None else "", code)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it here (module-level labels)."""
    return message


@pass_context
def _gettext(context: Context, message: str) -> str:
    request = context.get("request")
    return translations(lang_of(request) if request is not None else DEFAULT).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    request = context.get("request")
    return translations(lang_of(request) if request is not None else DEFAULT).ngettext(singular, plural, n)


def install(app: FastAPI, templates: Jinja2Templates) -> None:
    """The language middleware on ``app`` and ``_`` / ``ngettext`` / ``lang`` in ``templates``."""
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["LANGUAGES"] = [(code, NAMES[code]) for code in LANGUAGES]
    env.globals["lang_of"] = lang_of
    env.globals["lang_href"] = _switch_href

    app.add_middleware(LanguageMiddleware)


class LanguageMiddleware:
    """Pure ASGI (no per-request task, unlike ``@app.middleware``): the request's language into
    ``request.state.lang``; a ``?lang=`` choice kept in the :data:`COOKIE` on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        query = request.query_params.get("lang")
        cookie = request.cookies.get(COOKIE)
        scope.setdefault("state", {})["lang"] = choose(query, cookie, request.headers.get("accept-language"))
        if query not in LANGUAGES or cookie == query:
            await self.app(scope, receive, send)
            return
        chosen = query

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie_header = f"{COOKIE}={chosen}; Max-Age={365 * 86400}; Path=/; HttpOnly; SameSite=lax"
                message.setdefault("headers", []).append((b"set-cookie", cookie_header.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


__all__ = [
    "COOKIE",
    "LANGUAGES",
    "LOCALE_DIR",
    "NAMES",
    "N_",
    "LanguageMiddleware",
    "choose",
    "install",
    "lang_of",
    "lang_query",
    "tr",
    "translations",
]
