"""axe-core (from the npm registry, tests/a11y/package.json) run in a real page: every rule
that applies, WCAG 2.x A and AA and Deque's best practices, and no violation allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).with_name("a11y") / "node_modules" / "axe-core" / "axe.min.js"
needs_axe = pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci --prefix tests/a11y; "
                                                        "scripts/system-deps.sh does it)")


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """What axe finds wrong on the page as it stands (shadow roots included), one line each."""
    # Evaluated by the browser's debugger protocol, which the pages' strict CSP does not govern
    # (a <script> tag would be refused, as it should be).
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"],
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}});
        return result.violations.map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).join("; ")})`);
    }""")
    return list(found)
