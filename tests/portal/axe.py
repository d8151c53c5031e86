"""Accessibility checks in a real browser: axe-core (Deque, MPL-2.0; vendored under ``vendor/``, the npm package's
``axe.min.js``) injected into a Playwright page and run with the WCAG 2.0/2.1 A and AA rules, and the 200 % zoom
check (a 1280 px wide page at twice the size must not scroll sideways: WCAG 1.4.4 / 1.4.10 reflow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

AXE_JS: Final = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
TAGS: Final = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING: Final = frozenset({"serious", "critical"})

_RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n')[1])}));
}"""


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG A/AA violations of the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = page.evaluate(_RUN, TAGS)
    return [v for v in found if v.get("impact") in BLOCKING]


def describe(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}): {'; '.join(v['nodes'])}" for v in found)


def scrolls_sideways(page: Any) -> bool:
    """Whether the document is wider than the window (a phone or a 200 % zoom must reflow, not scroll)."""
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))
