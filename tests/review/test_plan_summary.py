"""tools/review/plan_summary.py on real ``terraform show -json`` output.

The fixtures in tests/fixtures/plans come from scripts/make_plan_fixtures.py
(Terraform + hashicorp/aws against moto); see that script for the scenario.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools.review.plan_summary import (
    MARKER,
    PlanError,
    category,
    changes,
    check_plan,
    counts,
    load_plan,
    main,
    stack_name,
    summarize,
    summarize_many,
)

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "tests" / "fixtures" / "plans"
PLAN_FIXTURES = ("create", "noop", "changes", "destroy")


def plan(name: str) -> dict[str, Any]:
    return load_plan(PLANS / f"{name}.json")


def row(markdown: str, address: str) -> str:
    """The first table row that names ``address``."""
    return next(line for line in markdown.splitlines() if f"| `{address}` |" in line)


def sensitive_leaves(document: dict[str, Any]) -> set[str]:
    """Every string value in the plan at a path marked sensitive (what must never print)."""
    found: set[str] = set()

    def walk(value: object, mask: object) -> None:
        if mask is True:
            if isinstance(value, str) and value:
                found.add(value)
            elif isinstance(value, dict | list):
                items = value.values() if isinstance(value, dict) else value
                for item in items:
                    walk(item, True)
        elif isinstance(mask, dict) and isinstance(value, dict):
            for key, sub in mask.items():
                walk(value.get(key), sub)
        elif isinstance(mask, list) and isinstance(value, list):
            for sub_value, sub_mask in zip(value, mask, strict=False):
                walk(sub_value, sub_mask)

    for entry in document.get("resource_changes", []):
        change = entry["change"]
        walk(change.get("before"), change.get("before_sensitive"))
        walk(change.get("after"), change.get("after_sensitive"))
    return found


# --- counts and actions -----------------------------------------------------------


def test_create_plan_counts_creates_and_deferred_read() -> None:
    tally = counts(changes(plan("create")))
    assert (tally["create"], tally["read"], tally["delete"]) == (5, 1, 0)


def test_counts_table_has_one_column_per_action() -> None:
    markdown = summarize(plan("changes"), "dev-foundation")
    assert "| create | update | replace | delete | no-op | read |" in markdown
    assert "| 1 | 2 | 1 | 1 | 1 | 1 |" in markdown


def test_noop_plan_says_no_changes() -> None:
    markdown = summarize(plan("noop"), "dev-foundation")
    assert "✅ No changes. 5 unchanged" in markdown


def test_noop_plan_flags_nothing() -> None:
    assert "⚠️" not in summarize(plan("noop"))


def test_noop_resources_are_listed_collapsed() -> None:
    markdown = summarize(plan("noop"))
    assert "<details><summary>5 unchanged</summary>" in markdown


def test_drift_is_mentioned() -> None:
    assert "3 resources changed outside Terraform" in summarize(plan("noop"))


def test_stack_name_is_in_the_title() -> None:
    assert summarize(plan("noop"), "prod-services").startswith(
        "### Terraform plan: `prod-services`"
    )


def test_update_shows_before_and_after() -> None:
    line = row(summarize(plan("changes")), "aws_vpc.main")
    assert (
        '`{"Name": "fixture-vpc", "Revision": "1"}` → `{"Name": "fixture-vpc", "Revision": "2"}`'
        in line
    )


def test_update_shows_computed_attribute_as_known_after_apply() -> None:
    line = row(summarize(plan("changes")), "aws_ssm_parameter.db_password")
    assert "`version`: `1` → (known after apply)" in line


def test_create_before_destroy_counts_as_replace() -> None:
    assert category(["create", "delete"]) == "replace"


def test_unknown_action_is_an_error() -> None:
    with pytest.raises(PlanError, match=r"unknown plan actions \['explode'\]"):
        category(["explode"])


# --- risky changes on top -----------------------------------------------------------


def test_replacement_names_the_attribute_that_forces_it() -> None:
    markdown = summarize(plan("changes"))
    risky = markdown.split("#### ⚠️ Replacements and destroys")[1].split("####")[0]
    assert "| 🔴 **replace** | `aws_subnet.app` | forced by `cidr_block` |" in risky


def test_replacement_row_shows_old_and_new_value_of_forcing_attribute() -> None:
    line = row(summarize(plan("changes")).split("#### Resources")[1], "aws_subnet.app")
    assert '`cidr_block`: `"10.20.1.0/24"` → `"10.20.2.0/24"`' in line


def test_replacement_row_leaves_out_recomputed_attributes() -> None:
    line = row(summarize(plan("changes")).split("#### Resources")[1], "aws_subnet.app")
    assert "`arn`" not in line


def test_removed_resource_is_flagged_as_destroy_with_reason() -> None:
    markdown = summarize(plan("changes"))
    assert "| 🔴 **delete** | `aws_security_group.legacy` | removed from the configuration |" in (
        markdown
    )


def test_risky_changes_come_before_all_other_changes() -> None:
    markdown = summarize(plan("changes"))
    assert markdown.index("Replacements and destroys") < markdown.index("🟢 create")


def test_headline_leads_with_risky_counts() -> None:
    headline = summarize(plan("changes")).splitlines()[2]
    assert headline.startswith("**⚠️ 1 to replace, 1 to destroy**")


def test_destroy_plan_flags_every_resource() -> None:
    markdown = summarize(plan("destroy"))
    assert markdown.count("🔴 **delete**") == 5


# --- sensitive values ---------------------------------------------------------------


def test_sensitive_attribute_change_is_masked() -> None:
    line = row(summarize(plan("changes")), "aws_ssm_parameter.db_password")
    assert "`value`: (sensitive)" in line


def test_fixtures_do_hold_sensitive_values() -> None:
    # Guards the next test: it proves nothing if the fixtures have no secrets.
    assert {"fixture-secret-value-v1", "fixture-secret-value-v2"} <= sensitive_leaves(
        plan("changes")
    )


@pytest.mark.parametrize("name", PLAN_FIXTURES)
def test_no_sensitive_value_is_printed(name: str) -> None:
    document = plan(name)
    output = summarize(document) + summarize_many({name: document})
    assert [s for s in sensitive_leaves(document) if s in output] == []


def test_nested_sensitive_value_masks_its_whole_attribute() -> None:
    document = copy.deepcopy(plan("changes"))
    vpc = next(e for e in document["resource_changes"] if e["address"] == "aws_vpc.main")
    vpc["change"]["after_sensitive"]["tags"] = {"Revision": True}
    line = row(summarize(document), "aws_vpc.main")
    assert "`tags`: (sensitive)" in line


def test_table_cells_escape_pipes() -> None:
    document = copy.deepcopy(plan("changes"))
    vpc = next(e for e in document["resource_changes"] if e["address"] == "aws_vpc.main")
    vpc["change"]["after"]["tags"]["Revision"] = "a|b"
    assert '"a\\|b"' in row(summarize(document), "aws_vpc.main")


# --- several stacks, one comment ---------------------------------------------------


def test_comment_starts_with_hidden_marker() -> None:
    assert summarize_many({"dev-foundation": plan("noop")}).startswith(MARKER + "\n")


def test_comment_has_one_count_row_per_stack() -> None:
    markdown = summarize_many({"dev-foundation": plan("changes"), "dev-services": plan("create")})
    assert "| `dev-foundation` | 1 | 2 | 1 | 1 | 1 | 1 |" in markdown
    assert "| `dev-services` | 5 | 0 | 0 | 0 | 0 | 1 |" in markdown


def test_comment_lists_risky_changes_of_every_stack_before_details() -> None:
    markdown = summarize_many({"dev-services": plan("create"), "dev-foundation": plan("changes")})
    top = markdown.split("<details>")[0]
    assert "| `dev-foundation` | 🔴 **replace** | `aws_subnet.app` |" in top


def test_comment_drops_per_stack_tables_when_too_long() -> None:
    plans = {"dev-foundation": plan("changes")}
    markdown = summarize_many(plans, max_chars=len(summarize_many(plans)) - 1)
    assert "<details>" not in markdown and "Per-stack tables left out" in markdown


def test_comment_needs_at_least_one_plan() -> None:
    with pytest.raises(PlanError, match="no plans to summarize"):
        summarize_many({})


# --- command line -------------------------------------------------------------------


def test_stack_is_named_after_the_file() -> None:
    assert stack_name(Path("plans/dev-foundation.plan.json")) == "dev-foundation"


def test_cli_prints_markdown_for_one_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(PLANS / "changes.json")]) == 0
    assert capsys.readouterr().out.startswith("### Terraform plan: `changes`")


def test_cli_stack_option_names_the_stack(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--stack", "dev-foundation", str(PLANS / "noop.json")])
    assert "`dev-foundation`" in capsys.readouterr().out


def test_cli_several_plans_make_one_comment(capsys: pytest.CaptureFixture[str]) -> None:
    main([str(PLANS / "create.json"), str(PLANS / "destroy.json")])
    assert capsys.readouterr().out.count(MARKER) == 1


def test_module_entry_point_rejects_state_json_with_one_line_and_no_stdout() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.review.plan_summary", str(PLANS / "state.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {PLANS / 'state.json'}: not a Terraform plan")
    assert len(result.stderr.splitlines()) == 1


# --- inputs that are not plans ---------------------------------------------------------


def test_non_json_file_is_rejected_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("Terraform will perform the following actions:\n")
    with pytest.raises(PlanError, match=r"bad\.json: not JSON \(Expecting value at line 1"):
        load_plan(bad)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"missing\.json: cannot read: No such file"):
        load_plan(tmp_path / "missing.json")


def test_state_json_is_rejected_as_not_a_plan() -> None:
    with pytest.raises(PlanError, match=r"state\.json: not a Terraform plan: .* of a state"):
        load_plan(PLANS / "state.json")


def test_format_version_2_is_rejected() -> None:
    document = {**plan("noop"), "format_version": "2.0"}
    with pytest.raises(PlanError, match=r"x\.json: unsupported plan format_version '2\.0'"):
        check_plan(document, "x.json")


def test_missing_format_version_is_rejected() -> None:
    document = {k: v for k, v in plan("noop").items() if k != "format_version"}
    with pytest.raises(PlanError, match=r"x\.json: not a Terraform plan: it has no format_version"):
        check_plan(document, "x.json")


def test_json_list_is_rejected() -> None:
    with pytest.raises(PlanError, match=r"x\.json: not a Terraform plan: the JSON is a list"):
        check_plan([], "x.json")


def test_malformed_resource_change_is_rejected() -> None:
    document = json.loads(json.dumps(plan("changes")))
    del document["resource_changes"][2]["change"]["actions"]
    with pytest.raises(PlanError, match=r"resource_changes\[2\] has no address or change\.actions"):
        check_plan(document, "x.json")


def test_summarize_validates_its_input() -> None:
    with pytest.raises(PlanError, match=r"dev-foundation: unsupported plan format_version '0\.1'"):
        summarize({"format_version": "0.1"}, "dev-foundation")
