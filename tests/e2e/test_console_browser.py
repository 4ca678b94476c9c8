"""The web console in a real browser (headless Chromium driven by Selenium), from the keyboard only:
send an add through the form, see its schedule, Fire now, see the email rendered, and see a poison
message land in the DLQ view. A missing browser fails the test (.ci/run installs it).

The screenshot goes to .cache/console/console.png; with UPDATE_SCREENSHOT=1 also to
docs/console.png, the one docs/local.md shows.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.options import Options as ChromeOptions
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from cartlocal import samples
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 60
# Debian's binaries unless CHROMIUM/CHROMEDRIVER name others (as .ci/run reads them).
BROWSER, DRIVER = os.environ.get("CHROMIUM", "chromium"), os.environ.get("CHROMEDRIVER", "chromedriver")


@pytest.fixture(scope="module")
def running(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    options = Options(
        dist=built_dist,
        workdir=tmp_path_factory.mktemp("browser"),
        name="cartflow-browser",
        reminder_delay_seconds=3600,  # the schedule stays pending until Fire now
        time_scale=1 / 360,  # a rejected record is handed out again within a second or two
        console_port=0,
    )
    with LocalStack(options, Timeline(stream=io.StringIO())) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    binary, driver = shutil.which(BROWSER), shutil.which(DRIVER)
    needed = "headless Chromium is needed: apt-get install chromium chromium-driver (.ci/run does)"
    assert binary, needed
    assert driver, needed
    options = ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,2400"):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield chrome
    finally:
        chrome.quit()


def until(browser: WebDriver, check: Callable[[WebDriver], Any], what: str) -> Any:
    """``check``'s first truthy answer; the polled fragments are replaced every second or two, so an
    element that went stale between finding and reading it is just tried again."""
    wait = WebDriverWait(
        browser, WAIT_SECONDS, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )
    return wait.until(check, f"timed out waiting for {what}")


def press(browser: WebDriver, selector: str) -> bool:
    """Focus the control and press Enter, as a keyboard user does."""
    browser.find_element(By.CSS_SELECTOR, selector).send_keys(Keys.ENTER)
    return True


def text_of(browser: WebDriver, selector: str) -> str:
    return "".join(element.text for element in browser.find_elements(By.CSS_SELECTOR, selector))


def poison(running: LocalStack) -> None:
    """A reminder send_reminder rejects (quantity 0), put straight on its queue."""
    assert running.stack is not None
    envelope = json.loads(samples.generate("CartReminderDue")["Records"][0]["body"])
    envelope["detail"]["quantity"] = 0
    running.client("sqs").send_message(QueueUrl=running.stack.queue_urls["reminders"], MessageBody=json.dumps(envelope))


def test_the_console_from_send_to_email_and_dlq_with_the_keyboard(running: LocalStack, browser: WebDriver) -> None:
    assert running.console is not None
    browser.get(running.console.url)
    form = until(browser, lambda b: b.find_element(By.CSS_SELECTOR, 'form[data-route="POST /cart"]'), "the Send form")
    user = form.find_element(By.CSS_SELECTOR, 'input[name="field.user"]')
    assert user.get_attribute("value") == "ada", "prefilled from the schema's sample"

    user.send_keys(Keys.CONTROL, "a")
    user.send_keys("lin", Keys.ENTER)  # implicit submission, no mouse
    until(browser, lambda b: "200 OK" in text_of(b, "#send-result .status"), "the API's 200")

    row = "#schedules tr[data-schedule]"
    until(browser, lambda b: "lin / sku-42" in text_of(b, row), "the schedule to appear")
    assert "fires in" in text_of(browser, f"{row} .countdown")
    until(browser, lambda b: press(b, f"{row} button.fire"), "Fire now")

    until(browser, lambda b: "Still thinking about sku-42?" in text_of(b, "#outbox article.email"), "the email")
    frame = browser.find_element(By.CSS_SELECTOR, "#outbox article.email iframe")
    browser.switch_to.frame(frame)
    rendered = browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    assert "Hi lin," in rendered
    assert "You left 2 \u00d7 sku-42 in your cart." in rendered
    until(browser, lambda b: "lin / sku-42" not in text_of(b, "#schedules"), "the fired schedule to go")

    poison(running)
    dlq = 'tr[data-queue="cartflow-browser-reminders-dlq"]'
    until(browser, lambda b: text_of(b, f"#queues {dlq} .depth") == "1", "the poison message in the DLQ")
    assert browser.find_element(By.CSS_SELECTOR, f"#queues {dlq} button.redrive").is_displayed()
    until(browser, lambda b: "email to ada@example.com" in text_of(b, "#timeline"), "the email on the live timeline")

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height), 4000))
    screenshot = ROOT / ".cache" / "console" / "console.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(screenshot))
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(screenshot, ROOT / "docs" / "console.png")
