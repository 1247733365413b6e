"""Chrome or Chromium, headless, driven by selenium through a chromedriver of the same major.

``find`` takes what the machine has: Google Chrome and the chromedriver in
``$CHROMEWEBDRIVER`` on GitHub's runners, Debian's chromium and chromium-driver, or
Chrome on a Mac. Only when no pair matches, and installing is allowed (``packages``),
it installs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.containers import packages
from tools.containers.common import ContainersError, MissingError, run

BROWSERS = ("google-chrome", "google-chrome-stable", "chromium", "chromium-browser", "chrome")
MAC_APPS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1100,700",
)


@dataclass(frozen=True)
class Browser:
    binary: str
    driver: str
    version: str  # what ``--version`` printed, e.g. "Chromium 156.0.8078.129"

    def describe(self) -> str:
        return f"{self.version} ({self.binary}) with chromedriver {self.driver}"


def major(binary: str) -> tuple[str, int] | None:
    """(the version line, its major number) from ``binary --version``; None if it fails."""
    try:
        result = run([binary, "--version"], timeout=30)
    except (ContainersError, OSError):
        return None
    for line in result.stdout.splitlines():
        match = re.search(r"(\d+)\.\d+\.\d+\.\d+", line)
        if result.returncode == 0 and match:
            return line.split(" (")[0].strip(), int(match[1])
    return None


def candidates(environ: Mapping[str, str] = os.environ) -> tuple[list[str], list[str]]:
    """Browser and driver paths found on this machine, in order of preference."""
    path = environ.get("PATH", "")
    browsers = [found for name in BROWSERS if (found := shutil.which(name, path=path))]
    browsers += [app for app in MAC_APPS if Path(app).is_file()]
    drivers = []
    if environ.get("CHROMEWEBDRIVER"):  # GitHub's runner images set it
        drivers.append(str(Path(environ["CHROMEWEBDRIVER"]) / "chromedriver"))
    if found := shutil.which("chromedriver", path=path):
        drivers.append(found)
    unique = list(dict.fromkeys(os.path.realpath(b) for b in browsers))
    return unique, [d for d in dict.fromkeys(drivers) if Path(d).is_file()]


def find(environ: Mapping[str, str] = os.environ) -> Browser:
    """The first browser with a driver of the same major version; ``MissingError`` if none."""
    browsers, drivers = candidates(environ)
    versions = {p: v for p in [*browsers, *drivers] if (v := major(p))}
    for binary in browsers:
        for driver in drivers:
            same = binary in versions and driver in versions
            if same and versions[binary][1] == versions[driver][1]:
                return Browser(binary, driver, versions[binary][0])
    seen = ", ".join(f"{versions[p][0]} ({p})" if p in versions else f"{p} (no version)"
                     for p in [*browsers, *drivers]) or "none"  # fmt: skip
    raise MissingError(
        f"no Chrome or Chromium with a chromedriver of the same version (found: {seen})"
    )


def ensure() -> Browser:
    """``find``, installing Debian's chromium and chromium-driver first where allowed."""
    try:
        return find()
    except MissingError as exc:
        why = packages.why_not_install()
        if why:
            raise MissingError(f"{exc}; not installed automatically because {why}") from exc
        packages.apt_install(["chromium", "chromium-driver"])
        return find()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A selenium WebDriver on a new, empty profile; quit (and profile removed) afterwards."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    found = ensure()
    binary, driver_path = found.binary, found.driver
    with tempfile.TemporaryDirectory(prefix="ecs-learn-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        try:
            driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        except WebDriverException as exc:
            raise ContainersError(f"{found.version} did not start: {exc.msg}") from exc
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


def page_text(driver: Any, url: str) -> str:
    """Load ``url`` and return the visible text of its body."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    return str(driver.find_element(By.TAG_NAME, "body").text)
