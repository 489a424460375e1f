"""docs/access.md's tables, generated from the policy so the document cannot drift.

Run ``python -m resettle.accounts.access_doc docs/access.md`` to rewrite the generated
part (between the markers); a test fails when the file and the code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from resettle.accounts.policy import ACTIONS, FIELDS, ROLE_LABELS, Action, FieldGroup, Role

BEGIN = "<!-- BEGIN GENERATED FROM resettle/accounts/policy.py -->"
END = "<!-- END GENERATED -->"


def _table(columns: list[Role], rows: list[tuple[str, set[Role]]]) -> list[str]:
    head = "| | " + " | ".join(ROLE_LABELS[r] for r in columns) + " |"
    rule = "|---|" + "|".join(":-:" for _ in columns) + "|"
    body = [
        f"| {label} | " + " | ".join("✓" if r in holders else "" for r in columns) + " |"
        for label, holders in rows
    ]
    return [head, rule, *body]


def generated() -> str:
    roles = list(Role)
    actions = [(f"`{a.value}`", {r for r in roles if a in ACTIONS[r]}) for a in Action]
    fields = [(f"`{g.value}`", {r for r in roles if g in FIELDS[r]}) for g in FieldGroup]
    lines = [BEGIN, "", "### Actions each role may take", ""]
    lines += _table(roles, actions)
    lines += ["", "### Field groups each role may see", ""]
    lines += _table(roles, fields)
    lines += ["", END]
    return "\n".join(lines)


def render(current: str) -> str:
    """``current`` with its generated block replaced (appended if it has none)."""
    block = generated()
    if BEGIN in current and END in current:
        head, _, rest = current.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + block + tail
    return current.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m resettle.accounts.access_doc docs/access.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(render(current), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
