"""The portal's navigation: the pages each role finds in the header, in order, with their labels marked for the
catalogues (translated where the header renders them).

:data:`HOUSEHOLD` is the household's side (issue 14's pages, one route each); staff roles get :data:`STAFF`
entries by role. :func:`links` gives the header's entries for a role; a page that is not built yet is simply
not listed in :data:`BUILT` — the header shows only built pages, so nothing links to a 404.
"""

from __future__ import annotations

from typing import Final

from meterhub.portal.i18n import N_

HOUSEHOLD: Final = (
    ("/home", N_("Home")),
    ("/history", N_("History")),
    ("/compare", N_("Comparison")),
    ("/advice", N_("Advice")),
    ("/costs", N_("Costs")),
    ("/network-tariff", N_("Network tariff")),
    ("/live", N_("Live")),
    ("/downloads", N_("Downloads")),
    ("/consents", N_("Consents")),
    ("/privacy", N_("Privacy")),
)
"""A household's pages (role ``customer``)."""

STAFF: Final = (
    (
        "/home",
        N_("My points"),
        frozenset({"operator", "operator_admin", "dso", "supplier", "esp", "auditor", "installer"}),
    ),
    ("/consents", N_("Consents"), frozenset({"supplier", "esp"})),
    ("/tariffs", N_("Tariffs"), frozenset({"supplier"})),
    ("/meters", N_("Meters"), frozenset({"operator", "operator_admin", "auditor"})),
    ("/admin/users", N_("People"), frozenset({"operator", "operator_admin"})),
)
"""Staff pages and the roles that see them."""

BUILT: Final[set[str]] = {"/home", "/consents", "/meters", "/admin/users"}
"""Routes that exist today; a page's module adds its route here when it is registered (see :func:`built`)."""


def built(path: str) -> None:
    """Record that the page at ``path`` exists (called by the module that registers it, at import)."""
    BUILT.add(path)


def links(role: str) -> list[tuple[str, str]]:
    """(path, label to translate) of the header for ``role``."""
    if role == "customer":
        return [(path, label) for path, label in HOUSEHOLD if path in BUILT]
    return [(path, label) for path, label, roles in STAFF if role in roles and path in BUILT]


__all__ = ["BUILT", "HOUSEHOLD", "STAFF", "built", "links"]
