"""An interrupt reaches Terraform alone, which stops cleanly before the tree is ended."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tools.deploy.commands import ROOT

# Stands in for terraform (the process name is what counts): on SIGINT it
# finishes its "operation in flight", saves its "state", releases its "lock".
FAKE_TERRAFORM = """#!{python}
import signal, sys, time
from pathlib import Path
here = Path(sys.argv[1])
def stop(signum, frame):
    time.sleep(2)
    (here / "state-saved").write_text("ok")
    (here / "lock").unlink()
    sys.exit(1)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
(here / "lock").write_text("held")
while True:
    time.sleep(0.1)
"""

# Stands in for cdktf: runs terraform in a session of its own (its pty) and
# dies at once on SIGINT, as cdktf does.
FAKE_CDKTF = (
    "import subprocess, sys; subprocess.run([sys.argv[1], sys.argv[2]], start_new_session=True)"
)

# The driver takes Ctrl-C as an interactive shell's foreground job does, even when this test
# runs in a background job (which starts with SIGINT ignored, and children inherit that).
DRIVER = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from pathlib import Path
from tools.deploy.procs import run
here = Path(sys.argv[1])
try:
    run([sys.executable, "-c", {cdktf!r}, str(here / "terraform"), str(here)],
        env={{"PATH": "/usr/bin:/bin"}}, cwd=here, log=here / "out.log")
except KeyboardInterrupt:
    (here / "driver-interrupted").write_text("yes")
    sys.exit(130)
"""


def _wait(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def test_sigint_lets_terraform_save_state_and_release_the_lock(tmp_path: Path) -> None:
    fake = tmp_path / "terraform"
    fake.write_text(FAKE_TERRAFORM.format(python=sys.executable))
    fake.chmod(0o755)
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER.format(cdktf=FAKE_CDKTF), str(tmp_path)],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        _wait(tmp_path / "lock")
        driver.send_signal(signal.SIGINT)  # Ctrl-C (or SIGTERM, which tools.deploy turns into it)
        # Terraform takes 2 s to stop; the rest is headroom for a loaded machine.
        assert driver.wait(timeout=120) == 130
    finally:
        if driver.poll() is None:
            driver.kill()
    assert (tmp_path / "state-saved").read_text() == "ok"
    assert not (tmp_path / "lock").exists()  # released, not left behind
    assert (tmp_path / "driver-interrupted").exists()


def test_without_the_graceful_stop_the_lock_would_stay(tmp_path: Path) -> None:
    # Guard: killing the tree outright (what used to happen) leaves the lock.
    fake = tmp_path / "terraform"
    fake.write_text(FAKE_TERRAFORM.format(python=sys.executable))
    fake.chmod(0o755)
    proc = subprocess.Popen([str(fake), str(tmp_path)], start_new_session=True)
    _wait(tmp_path / "lock")
    proc.kill()
    proc.wait()
    assert (tmp_path / "lock").exists() and not (tmp_path / "state-saved").exists()


def test_the_deploy_command_takes_sigint_even_when_started_with_it_ignored() -> None:
    # GIVEN a process started as a background job of a script: SIGINT ignored
    code = (
        "import signal; from tools.deploy.procs import take_interrupts; take_interrupts(); "
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
        "signal.getsignal(signal.SIGTERM).__name__)"
    )
    # WHEN tools.deploy sets its handlers THEN SIGINT raises KeyboardInterrupt again, and
    # SIGTERM is turned into the same graceful stop
    out = subprocess.run(
        ["bash", "-c", 'trap "" INT; exec "$0" -c "$1"', sys.executable, code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["True", "_terminate"]
