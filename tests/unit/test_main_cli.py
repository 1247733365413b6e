"""main.py: bad input gives one clear error line, exit 2, and no synthesized output."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = {"TARGET": "aws", "TF_STATE_BUCKET": "test-state-bucket", "APP_VERSION": "1.2.3"}


def run_main(outdir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ENVS", "TARGET", "APP_VERSION")}
    env.update({**BASE, **settings, "CDKTF_OUTDIR": str(outdir)})
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ENVS": "staging"}, "ENVS='staging': unknown environment"),
        ({"APP_VERSION": "latest"}, "APP_VERSION='latest': must be semver"),
        ({"TF_STATE_BUCKET": ""}, "TF_STATE_BUCKET=None: required when TARGET=aws"),
        ({"TARGET": "azure"}, "TARGET='azure'"),
        ({"IMAGE_SOURCE": "pull"}, "IMAGE_SOURCE='pull'"),
    ],
)
def test_bad_settings_fail_with_one_line_and_no_output(tmp_path, settings, message):
    # GIVEN a previous synth left stack files behind
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "dev-foundation").mkdir(parents=True)
    (outdir / "stacks" / "dev-foundation" / "cdk.tf.json").write_text("{}")
    # WHEN main.py runs with a bad setting
    result = run_main(outdir, **settings)
    # THEN it exits 2 with one line naming the field and value, and removes the stale output
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert result.stdout == ""
    assert not outdir.exists()


def test_a_bug_is_not_disguised_as_an_input_error(tmp_path):
    # GIVEN an output "directory" that is a file, so writing the stacks fails (not bad input)
    outdir = tmp_path / "not-a-directory"
    outdir.write_text("")
    # WHEN main.py runs with good settings
    result = run_main(outdir, ENVS="dev")
    # THEN it shows the traceback and exits 1, not the one-line exit 2 of bad input
    assert result.returncode == 1, result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: synth failed unexpectedly")
