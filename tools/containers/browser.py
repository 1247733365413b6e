"""Debian's Chromium, headless, driven by selenium through Debian's chromedriver."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Any

from tools.containers import packages
from tools.containers.common import ContainersError

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


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A selenium WebDriver on a new, empty profile; quit (and profile removed) afterwards."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary = packages.ensure("chromium")
    driver_path = packages.ensure("chromedriver")
    with tempfile.TemporaryDirectory(prefix="ecs-learn-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        try:
            driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        except WebDriverException as exc:
            raise ContainersError(f"chromium did not start: {exc.msg}") from exc
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
