"""Markdown summary of ``terraform show -json`` plans, for people and PR comments.

    python -m tools.review.plan_summary [--stack NAME] [--comment] PLAN.json ...

Replacements and destroys come first; sensitive values are never printed. How stacks are
named, the two forms and the errors: docs/plan-review.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.review.outage import traffic_breaks

MARKER = "<!-- plan-summary -->"
# Riskiest first: the order of rows in every table.
CATEGORIES = ("replace", "delete", "forget", "create", "update", "read", "no-op")
RISKY = ("replace", "delete", "forget")
# Count columns, in the order reviewers asked for; "forget" only when present.
COUNT_COLUMNS = ("create", "update", "replace", "delete", "no-op", "read")
ICONS = {"replace": "🔴", "delete": "🔴", "forget": "🟠", "create": "🟢", "update": "🟡"}
VERBS = {
    "replace": "to replace",
    "delete": "to destroy",
    "forget": "to forget",
    "create": "to create",
    "update": "to update",
    "read": "to read",
    "no-op": "unchanged",
}
REASONS = {
    "replace_because_cannot_update": "the provider cannot update it in place",
    "replace_because_tainted": "it is tainted (a failed create, or `terraform taint`)",
    "replace_by_request": "requested with `-replace`",
    "replace_by_triggers": "`replace_triggered_by` fired",
    "delete_because_no_resource_config": "removed from the configuration",
    "delete_because_no_module": "its module was removed",
    "delete_because_wrong_repetition": "`count`/`for_each` was added or removed",
    "delete_because_count_index": "its `count` index is gone",
    "delete_because_each_key": "its `for_each` key is gone",
    "delete_because_no_move_target": "its `moved` target does not exist",
}
MAX_VALUE_CHARS = 60
MAX_DETAILS = 8
# GitHub rejects comments over 65,536 characters; stay clear of it.
MAX_COMMENT_CHARS = 60_000


class PlanError(ValueError):
    """The input is not a supported Terraform plan; the message names the source."""


@dataclass(frozen=True)
class Change:
    """One entry of ``resource_changes``, reduced to what a reviewer reads."""

    address: str
    category: str
    why: str
    details: tuple[str, ...]


# --- Loading and validating -------------------------------------------------


def load_plan(path: Path) -> dict[str, Any]:
    """Read and validate a plan JSON file; ``PlanError`` names the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: not JSON: the file is not UTF-8 text") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "expected the output of `terraform show -json PLANFILE`"
        ) from exc
    return check_plan(document, str(path))


def check_plan(document: object, source: str) -> dict[str, Any]:
    """``document`` if it is a plan with a 1.x ``format_version``, else ``PlanError``."""
    hint = "expected the output of `terraform show -json PLANFILE`"
    if not isinstance(document, dict):
        raise PlanError(f"{source}: not a Terraform plan: the JSON is a {_kind(document)}; {hint}")
    version = document.get("format_version")
    if version is None:
        raise PlanError(f"{source}: not a Terraform plan: it has no format_version; {hint}")
    if not isinstance(version, str) or not re.fullmatch(r"1\.\d+", version):
        raise PlanError(
            f"{source}: unsupported plan format_version {version!r}; this tool reads 1.x"
        )
    if "planned_values" not in document and "resource_changes" not in document:
        raise PlanError(
            f"{source}: not a Terraform plan: no planned_values or resource_changes "
            "(is it `terraform show -json` of a state rather than of a plan file?)"
        )
    changes = document.get("resource_changes", [])
    if not isinstance(changes, list):
        raise PlanError(f"{source}: malformed plan: resource_changes is not a list")
    for index, entry in enumerate(changes):
        actions = entry.get("change", {}).get("actions") if isinstance(entry, dict) else None
        if not isinstance(actions, list) or not isinstance(entry.get("address"), str):
            raise PlanError(
                f"{source}: malformed plan: resource_changes[{index}] has no address "
                "or change.actions"
            )
    return document


def _kind(value: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


# --- Reducing resource_changes ----------------------------------------------


def category(actions: Sequence[str]) -> str:
    """One word for an ``actions`` list: ``["delete", "create"]`` is ``replace``."""
    if "create" in actions and "delete" in actions:
        return "replace"
    if "forget" in actions:
        return "forget"
    if len(actions) == 1 and actions[0] in CATEGORIES:
        return actions[0]
    raise PlanError(f"unknown plan actions {list(actions)!r}")


def changes(plan: Mapping[str, Any]) -> list[Change]:
    """Every resource change, riskiest first, then by address."""
    found = [_change(entry) for entry in plan.get("resource_changes", [])]
    return sorted(found, key=lambda c: (CATEGORIES.index(c.category), c.address))


def _change(entry: Mapping[str, Any]) -> Change:
    change = entry["change"]
    kind = category(change["actions"])
    address = entry["address"] + (f" (deposed {entry['deposed']})" if entry.get("deposed") else "")
    paths = [tuple(p) for p in change.get("replace_paths") or [] if isinstance(p, list)]
    reason = REASONS.get(entry.get("action_reason", ""), entry.get("action_reason", ""))
    if kind == "replace" and paths:
        why = "forced by " + ", ".join(f"`{_path_name(p)}`" for p in paths)
    else:
        why = reason
    if kind == "update":
        details = _attribute_changes(change, skip_unknown=False)
    elif kind == "replace":
        # Everything computed is recomputed on replacement; list only what config changed.
        forced = [p for p in paths if p]
        details = [_path_change(change, p) for p in forced]
        top = {p[0] for p in forced}
        details += _attribute_changes(change, skip_unknown=True, exclude=top)
    else:
        details = []
    if len(details) > MAX_DETAILS:
        details = [*details[:MAX_DETAILS], f"… and {len(details) - MAX_DETAILS} more"]
    return Change(address=address, category=kind, why=why, details=tuple(details))


def _attribute_changes(
    change: Mapping[str, Any], *, skip_unknown: bool, exclude: Iterable[object] = ()
) -> list[str]:
    before: dict[str, Any] = change["before"] if isinstance(change.get("before"), dict) else {}
    after: dict[str, Any] = change["after"] if isinstance(change.get("after"), dict) else {}
    unknown: dict[str, Any] = (
        change["after_unknown"] if isinstance(change.get("after_unknown"), dict) else {}
    )
    lines = []
    for name in sorted(set(before) | set(after) | set(unknown)):
        if name in exclude:
            continue
        is_unknown = _any_true(unknown.get(name))
        if not is_unknown and before.get(name) == after.get(name):
            continue
        if skip_unknown and (is_unknown or after.get(name) is None):
            continue
        lines.append(_path_change(change, (name,)))
    return lines


def _path_change(change: Mapping[str, Any], path: tuple[object, ...]) -> str:
    """```name`: `old` → `new``` for one attribute path, masking sensitive values."""
    name = f"`{_cell(_path_name(path))}`"
    if _any_true(_at(change.get("before_sensitive"), path)) or _any_true(
        _at(change.get("after_sensitive"), path)
    ):
        return f"{name}: (sensitive)"
    old = _at(change.get("before"), path)
    new = (
        "(known after apply)"
        if _any_true(_at(change.get("after_unknown"), path))
        else _value(_at(change.get("after"), path))
    )
    return f"{name}: {new}" if old is None else f"{name}: {_value(old)} → {new}"


def _at(value: object, path: tuple[object, ...]) -> object:
    """The part of ``value`` at ``path``; a ``True`` mask covers everything below it."""
    for step in path:
        if value is True:
            return True
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def _any_true(mask: object) -> bool:
    """True if a sensitivity/unknown mask marks this value or anything inside it."""
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_any_true(v) for v in mask.values())
    if isinstance(mask, list):
        return any(_any_true(v) for v in mask)
    return False


def _path_name(path: Sequence[object]) -> str:
    name = ""
    for step in path:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else str(step))
    return name


def _value(value: object) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return f"`{_cell(text)}`"


def _cell(text: str) -> str:
    """Safe inside a Markdown table cell and a code span."""
    return text.replace("`", "'").replace("|", "\\|").replace("\n", " ")


# --- Rendering ----------------------------------------------------------------


def counts(found: Iterable[Change]) -> dict[str, int]:
    """Number of changes per category, every category present."""
    result = dict.fromkeys(CATEGORIES, 0)
    for change in found:
        result[change.category] += 1
    return result


def headline(tally: Mapping[str, int]) -> str:
    """``**⚠️ 1 to replace, 1 to destroy** · 2 to create · 3 unchanged``."""
    risky = [f"{tally[c]} {VERBS[c]}" for c in RISKY if tally[c]]
    rest = [f"{tally[c]} {VERBS[c]}" for c in CATEGORIES if c not in RISKY and tally[c]]
    if not any(tally[c] for c in CATEGORIES if c not in ("no-op", "read")):
        reads = [f"{tally['read']} {VERBS['read']}"] if tally["read"] else []
        return " · ".join([f"✅ No changes. {tally['no-op']} unchanged", *reads])
    parts = ([f"**⚠️ {', '.join(risky)}**"] if risky else []) + rest
    return " · ".join(parts)


def _columns(tallies: Iterable[Mapping[str, int]]) -> list[str]:
    tallies = list(tallies)
    extra = [c for c in CATEGORIES if c not in COUNT_COLUMNS and any(t[c] for t in tallies)]
    return [*COUNT_COLUMNS, *extra]


def _counts_table(rows: Sequence[tuple[str | None, Mapping[str, int]]]) -> list[str]:
    columns = _columns(t for _, t in rows)
    named = rows[0][0] is not None
    head = (["Stack"] if named else []) + columns
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * (1 if named else 0) + "--:|" * len(columns),
    ]
    for stack, tally in rows:
        cells = ([f"`{stack}`"] if named else []) + [str(tally[c]) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _risk_table(rows: Sequence[tuple[str | None, Change]]) -> list[str]:
    named = bool(rows) and rows[0][0] is not None
    head = ("| Stack " if named else "") + "| Action | Resource | Why |"
    lines = [head, "|---" * (4 if named else 3) + "|"]
    for stack, change in rows:
        cells = ([f"`{stack}`"] if named else []) + [
            f"{ICONS[change.category]} **{change.category}**",
            f"`{_cell(change.address)}`",
            change.why or "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _downtime(breaks: Sequence[str]) -> list[str]:
    return [f"- {line}" for line in breaks] + [
        "",
        "`make deploy` asks before applying these (docs/operations.md, "
        '"What a change does to traffic").',
    ]


def _changes_table(found: Sequence[Change]) -> list[str]:
    shown = [c for c in found if c.category != "no-op"]
    lines: list[str] = []
    if shown:
        lines += ["| Action | Resource | Changed attributes |", "|---|---|---|"]
        for change in shown:
            icon = ICONS.get(change.category, "🔵")
            details = "<br>".join(change.details) or "—"
            lines.append(f"| {icon} {change.category} | `{_cell(change.address)}` | {details} |")
    unchanged = [c for c in found if c.category == "no-op"]
    if unchanged:
        # GitHub renders Markdown inside <details> only after a blank line.
        lines += [""] if lines else []
        lines += [f"<details><summary>{len(unchanged)} unchanged</summary>", ""]
        lines += [f"- `{_cell(c.address)}`" for c in unchanged]
        lines += ["", "</details>"]
    return lines


def _notes(plan: Mapping[str, Any]) -> list[str]:
    notes = []
    if plan.get("errored"):
        notes.append("❌ Terraform reported errors while planning: this plan is incomplete.")
    if plan.get("complete") is False:
        notes.append("⏳ Some changes are deferred: another plan/apply round is needed.")
    drift = plan.get("resource_drift") or []
    if drift:
        notes.append(
            f"ℹ️ {len(drift)} resources changed outside Terraform since the last apply "
            "(drift; shown for information, the plan above already accounts for it)."
        )
    return notes


def summarize(plan: Mapping[str, Any], stack: str | None = None) -> str:
    """Markdown for one stack's plan: counts, risky changes first, then every change."""
    check_plan(plan, stack or "plan")
    found = changes(plan)
    tally = counts(found)
    title = f"### Terraform plan: `{stack}`" if stack else "### Terraform plan"
    lines = [title, "", headline(tally), "", *_counts_table([(None, tally)])]
    breaks = traffic_breaks(plan)
    if breaks:
        lines += ["", "#### ⛔ Downtime", "", *_downtime(breaks)]
    risky = [(None, c) for c in found if c.category in RISKY]
    if risky:
        lines += ["", "#### ⚠️ Replacements and destroys", "", *_risk_table(risky)]
    table = _changes_table(found)
    if table:
        lines += ["", "#### Resources", "", *table]
    notes = _notes(plan)
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def summarize_many(
    plans: Mapping[str, Mapping[str, Any]], *, max_chars: int = MAX_COMMENT_CHARS
) -> str:
    """One Markdown document (a PR comment) for several stacks, risky changes on top.

    Starts with the hidden ``MARKER`` so a workflow can find and update its own
    comment. Per-stack tables are dropped first if the document gets too long.
    """
    if not plans:
        raise PlanError("no plans to summarize")
    found = {stack: changes(check_plan(plan, stack)) for stack, plan in plans.items()}
    tallies = {stack: counts(items) for stack, items in found.items()}
    total = counts(c for items in found.values() for c in items)
    risky = [(s, c) for s, items in found.items() for c in items if c.category in RISKY]
    head = [MARKER, "## Terraform plan", "", headline(total), ""]
    head += _counts_table(list(tallies.items()))
    breaks = [f"`{s}` {line}" for s, plan in plans.items() for line in traffic_breaks(plan)]
    if breaks:
        head += ["", "### ⛔ Downtime — these changes stop traffic", "", *_downtime(breaks)]
    if risky:
        head += ["", "### ⚠️ Replacements and destroys — review these first", ""]
        head += _risk_table(risky)
    sections = []
    for stack, items in found.items():
        notes = _notes(plans[stack])
        body = _changes_table(items) + (["", *notes] if notes else [])
        summary = f"<b>{stack}</b>: {headline(tallies[stack]).replace('**', '')}"
        sections += ["", f"<details><summary>{summary}</summary>", "", *body, "", "</details>"]
    document = "\n".join(head + sections) + "\n"
    if len(document) > max_chars:
        note = "_Per-stack tables left out: too long for one comment. See the job summary._"
        document = "\n".join([*head, "", note]) + "\n"
    return document[:max_chars]


# --- Command line ---------------------------------------------------------------


def stack_name(path: Path) -> str:
    """``plans/dev-foundation.json`` -> ``dev-foundation`` (also ``.plan.json``)."""
    name = path.name
    for suffix in (".json", ".plan", ".tfplan"):
        name = name.removesuffix(suffix)
    return name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.review.plan_summary", description=__doc__.split("\n")[0]
    )
    parser.add_argument("plans", nargs="+", type=Path, metavar="PLAN", help="plan JSON file")
    parser.add_argument("--stack", help="stack name for a single PLAN (default: file name)")
    parser.add_argument(
        "--comment", action="store_true", help="one PR comment with a hidden marker"
    )
    args = parser.parse_args(argv)
    if args.stack and len(args.plans) > 1:
        parser.error("--stack names one PLAN; several are named after their files")
    try:
        loaded = {args.stack or stack_name(p): load_plan(p) for p in args.plans}
        if len(loaded) < len(args.plans):
            raise PlanError("two PLAN files have the same stack name")
        if args.comment or len(loaded) > 1:
            output = summarize_many(loaded)
        else:
            ((stack, plan),) = loaded.items()
            output = summarize(plan, stack)
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
