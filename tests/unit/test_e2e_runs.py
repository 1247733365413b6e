"""E2E_RUNS: which long runs an e2e session starts (tests/e2e/runs.py); no run is started here."""

from __future__ import annotations

import pytest

from tests.e2e.runs import COMMANDS, RUNS, InvalidSelection, selected, skip_reason, skips


def test_unset_or_empty_selects_every_run() -> None:
    assert selected({}) == selected({"E2E_RUNS": ""}) == selected({"E2E_RUNS": " , "}) == RUNS
    assert RUNS == ("rehearse-dev", "rehearse-prod", "faults")


def test_one_run_is_selected_alone() -> None:
    assert selected({"E2E_RUNS": "faults"}) == ("faults",)


def test_a_subset_comes_back_in_run_order_without_duplicates() -> None:
    value = " faults, rehearse-dev ,faults,"
    assert selected({"E2E_RUNS": value}) == ("rehearse-dev", "faults")


@pytest.mark.parametrize("value", ["dev", "rehearse-dev,prod", "FAULTS", "rehearse-dev faults"])
def test_an_unknown_name_is_one_error_naming_the_value(value: str) -> None:
    with pytest.raises(InvalidSelection) as error:
        selected({"E2E_RUNS": value})
    message = str(error.value)
    assert f"E2E_RUNS={value!r}" in message
    assert "rehearse-dev,rehearse-prod,faults" in message


def test_the_skip_reason_names_the_run_and_the_variable() -> None:
    reason = skip_reason("faults", {"E2E_RUNS": "rehearse-dev"})
    assert reason == "belongs to faults, which E2E_RUNS='rehearse-dev' does not select"


def test_every_run_has_a_command_with_its_own_workdir_left_to_the_caller() -> None:
    assert set(COMMANDS) == set(RUNS)
    assert all(args[:1] == ["-m"] and "--workdir" not in args for args in COMMANDS.values())


def test_only_tests_of_unselected_runs_are_skipped() -> None:
    # GIVEN three e2e tests, one per run, and the dev job's selection
    marks = {"a": "rehearse-dev", "b": "rehearse-prod", "c": "faults"}
    # WHEN the skips are computed THEN the dev test runs and the two others say why not
    assert skips(marks, {"E2E_RUNS": "rehearse-dev"}) == {
        "b": "belongs to rehearse-prod, which E2E_RUNS='rehearse-dev' does not select",
        "c": "belongs to faults, which E2E_RUNS='rehearse-dev' does not select",
    }
    assert skips(marks, {}) == {}


def test_a_test_without_a_mark_is_an_error_naming_it() -> None:
    with pytest.raises(InvalidSelection, match="without an e2e_run mark: t2"):
        skips({"t1": "faults", "t2": None}, {})


def test_a_mark_naming_no_run_is_an_error_rather_than_a_test_skipped_everywhere() -> None:
    with pytest.raises(InvalidSelection, match=r"t1 \('rehearse-devv'\)"):
        skips({"t1": "rehearse-devv"}, {"E2E_RUNS": "rehearse-dev"})


def test_an_invalid_selection_is_reported_before_anything_is_skipped() -> None:
    with pytest.raises(InvalidSelection, match="E2E_RUNS='prod'"):
        skips({"t1": "faults"}, {"E2E_RUNS": "prod"})
