"""The checkov gate: suppressions must be specific, reasoned, and still needed."""

import pytest

from tools.review.security import (
    Finding,
    SecurityScanError,
    Suppression,
    evaluate,
    load_suppressions,
)

ALB_80 = Finding("CKV_AWS_2", "HTTPS", "dev-foundation/external-alb/http-listener", "synth")


def test_committed_suppressions_all_have_reasons():
    suppressions = load_suppressions()
    assert len(suppressions) >= 10
    assert all(len(s.reason) >= 20 for s in suppressions)


def test_finding_matching_a_suppression_is_accepted():
    rule = Suppression("CKV_AWS_2", "*-foundation/external-alb/http-listener", "x" * 20)
    assert evaluate([ALB_80], [rule]) == ([], [])


def test_finding_without_suppression_fails():
    rule = Suppression("CKV_AWS_2", "*-foundation/internal-alb/http-listener", "x" * 20)
    open_findings, unused = evaluate([ALB_80], [rule])
    assert open_findings == [ALB_80] and unused == [rule]


def test_suppression_for_another_check_does_not_match():
    rule = Suppression("CKV_AWS_103", "*-foundation/external-alb/http-listener", "x" * 20)
    assert evaluate([ALB_80], [rule])[0] == [ALB_80]


def test_blanket_suppression_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[[suppression]]\ncheck = "CKV_AWS_2"\nresource = "*"\nreason = "' + "r" * 30 + '"\n'
    )
    with pytest.raises(SecurityScanError, match=r"resource='\*' is a blanket skip"):
        load_suppressions(path)


def test_suppression_without_reason_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[suppression]]\ncheck = "CKV_AWS_2"\nresource = "dev-foundation/x"\n')
    with pytest.raises(SecurityScanError, match=r"suppression\[0\]=.* lacks \['reason'\]"):
        load_suppressions(path)


def test_docs_list_every_suppression_with_its_reason():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    for s in load_suppressions():
        assert f"| `{s.check}` | `{s.resource}` | {s.reason} |" in doc, (s.check, s.resource)


def test_plan_only_suppression_is_not_unused_without_plans():
    rule = Suppression("CKV_AWS_260", "*-foundation/security-groups/external-alb", "x" * 20, "plan")
    assert evaluate([], [rule], plans_scanned=False) == ([], [])
    assert evaluate([], [rule], plans_scanned=True) == ([], [rule])


def test_plan_only_suppression_does_not_hide_a_synth_finding():
    rule = Suppression("CKV_AWS_2", "*-foundation/external-alb/http-listener", "x" * 20, "plan")
    assert evaluate([ALB_80], [rule])[0] == [ALB_80]


def test_bad_plan_argument_is_one_clear_error(capsys, tmp_path):
    from tools.review.security import main

    missing = tmp_path / "nope.json"
    assert main([f"--plan=dev-services={missing}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --plan='dev-services={missing}': expected STACK=existing-plan.json"]
