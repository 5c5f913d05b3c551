"""The built site in headless Chromium: maths typeset, code highlighted, navigation, search, a clean console.

Needs Debian's Chromium and its driver (`apt-get install -y chromium chromium-driver`) and Selenium.
Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from grader.chapters import PROJECT_ROOT, Chapter, discover, resolve

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,900",
)
WAIT_S = 15

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"{CHROMIUM} or {CHROMEDRIVER} is not installed: apt-get install -y chromium chromium-driver",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium is not installed: pip install selenium")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The site served by `python -m http.server` on 127.0.0.1; the server is always stopped."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"http.server did not start on port {port}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def chapter() -> Chapter:
    chapters = [chapter for chapter in discover() if chapter.notebook.is_file()]
    assert chapters, "no course/*.ipynb: run grader build"
    return chapters[0]


def open_page(driver: WebDriver, url: str) -> None:
    """Load a page and wait until Material and the maths script have run."""
    driver.get(url)
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && !!document.querySelector('.md-content')"
    ))
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.arithmatex, .jupyter-wrapper .jp-MarkdownOutput')]"
        ".every(e => !/\\$|\\\\\\(|\\\\\\[/.test(e.textContent) || e.querySelector('.katex'))"
    ))


def console_errors(driver: WebDriver) -> list[str]:
    """The browser console's errors since the last call (reading the log empties it)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver: WebDriver, name: str, element=None) -> Path:  # noqa: ANN001 - a WebElement
    if element is not None:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        time.sleep(0.5)  # let Material's header finish its scroll transition
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


UNTYPESET_TEX = """
return [...document.querySelectorAll(arguments[0])].map(element => {
  const copy = element.cloneNode(true);
  copy.querySelectorAll('.katex').forEach(math => math.remove());
  return copy.textContent;
}).join('\\n');
"""


def test_chapter_maths_is_typeset(browser: WebDriver, base_url: str, chapter: Chapter) -> None:
    open_page(browser, f"{base_url}/course/{chapter.stem}/")
    maths = browser.find_elements(By.CSS_SELECTOR, ".jupyter-wrapper .katex")
    assert len(maths) >= 5, "the notebook's $...$ maths was not typeset"
    assert not browser.find_elements(By.CSS_SELECTOR, ".katex-error")
    leftover = browser.execute_script(UNTYPESET_TEX, ".jupyter-wrapper .jp-MarkdownOutput")
    assert "$" not in leftover and "\\frac" not in leftover and "\\sigma" not in leftover
    displays = browser.find_elements(By.CSS_SELECTOR, ".jupyter-wrapper .katex-display")
    screenshot(browser, "chapter-maths.png", displays[0] if displays else None)
    assert console_errors(browser) == []


def test_markdown_page_maths_is_typeset(browser: WebDriver, base_url: str) -> None:
    open_page(browser, f"{base_url}/reference/thresholds/")
    assert browser.find_elements(By.CSS_SELECTOR, ".arithmatex .katex-display")
    assert not browser.find_elements(By.CSS_SELECTOR, ".katex-error")
    assert "\\frac" not in browser.execute_script(UNTYPESET_TEX, ".arithmatex")
    screenshot(browser, "thresholds.png")


def test_code_is_highlighted(browser: WebDriver, base_url: str, chapter: Chapter) -> None:
    color = "return getComputedStyle(document.querySelector(arguments[0])).color"
    open_page(browser, f"{base_url}/course/{chapter.stem}/")
    assert browser.execute_script(color, ".highlight-ipynb .k") != browser.execute_script(color, ".highlight-ipynb")
    open_page(browser, f"{base_url}/learner/")
    assert browser.execute_script(color, ".highlight .k") != browser.execute_script(color, ".highlight code")


def test_navigation_reaches_a_chapter_and_its_notebook(browser: WebDriver, base_url: str, chapter: Chapter) -> None:
    open_page(browser, f"{base_url}/")
    tab = next(link for link in browser.find_elements(By.CSS_SELECTOR, ".md-tabs__link") if link.text == "Chapters")
    tab.click()
    WebDriverWait(browser, WAIT_S).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Chapters")
    browser.find_element(By.CSS_SELECTOR, f"article table a[href*='{chapter.stem}']").click()
    WebDriverWait(browser, WAIT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jupyter-wrapper"))
    assert browser.current_url == f"{base_url}/course/{chapter.stem}/"
    assert chapter.spec.title_zh in browser.title
    screenshot(browser, "chapter-top.png")
    download = browser.find_element(By.CSS_SELECTOR, "a[download]").get_attribute("href")
    with urllib.request.urlopen(download, timeout=WAIT_S) as response:
        assert response.read() == chapter.notebook.read_bytes()
    assert console_errors(browser) == []


def test_search_finds_a_chapter(browser: WebDriver, base_url: str) -> None:
    chapter = resolve("chapter4")  # the worked example, whose text is about overfitting
    open_page(browser, f"{base_url}/")
    browser.find_element(By.CSS_SELECTOR, "label.md-search__icon, .md-search__input").click()
    field = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    WebDriverWait(browser, WAIT_S).until(lambda d: field.is_displayed())
    field.send_keys("overfitting")
    # Material re-renders the results on every keystroke, so read the links in one script call:
    # holding on to result elements between calls races with the re-render (a stale element).
    result_links = "return [...document.querySelectorAll('.md-search-result__item a')].map(a => a.href)"
    wanted = f"course/{chapter.stem}/"
    WebDriverWait(browser, WAIT_S).until(
        lambda d: any(wanted in href for href in d.execute_script(result_links)),
        message=f"no search result for 'overfitting' links to {wanted}",
    )
    screenshot(browser, "search.png")
    assert console_errors(browser) == []


def test_every_page_loads_without_console_errors(browser: WebDriver, base_url: str, site: Path) -> None:
    pages = sorted(path.parent.relative_to(site).as_posix() for path in site.rglob("index.html"))
    assert len(pages) >= 8
    errors = {}
    for page in pages:
        open_page(browser, f"{base_url}/{'' if page == '.' else page + '/'}")
        if page == ".":
            screenshot(browser, "home.png")
        errors.update({page: found for found in [console_errors(browser)] if found})
    assert errors == {}


def test_a_chinese_chapter_page_renders_its_text_maths_code_and_outputs(browser: WebDriver, base_url: str) -> None:
    chapter = resolve("chapter4")
    open_page(browser, f"{base_url}/zh/course/{chapter.stem}/")
    heading = browser.find_element(By.CSS_SELECTOR, ".jupyter-wrapper h1").text
    assert "具体最佳实践" in heading, heading
    # CJK glyphs drawn in a CJK font, not boxes: the rendered width of Chinese text is about a character
    # per 1em, where a missing glyph would fall back to a narrow box or nothing.
    width = browser.execute_script(
        "const s = document.createElement('span'); s.style.fontSize = '20px'; s.textContent = '过拟合过拟合';"
        "document.querySelector('.md-content').appendChild(s); const w = s.getBoundingClientRect().width;"
        "s.remove(); return w;")
    assert 100 <= width <= 140, f"six CJK characters at 20px measure {width}px"
    assert len(browser.find_elements(By.CSS_SELECTOR, ".jupyter-wrapper .katex")) >= 5
    assert not browser.find_elements(By.CSS_SELECTOR, ".katex-error")
    assert browser.find_elements(By.CSS_SELECTOR, ".highlight-ipynb .k")
    assert browser.find_elements(By.CSS_SELECTOR, ".jupyter-wrapper img[src^='data:image/png']"), "the examples' plots"
    screenshot(browser, "zh-chapter4.png")
    figure = browser.find_elements(By.CSS_SELECTOR, ".jupyter-wrapper img[src^='data:image/png']")[0]
    screenshot(browser, "zh-chapter4-plot.png", figure)
    assert console_errors(browser) == []


def test_the_language_switch_leads_to_the_other_edition(browser: WebDriver, base_url: str) -> None:
    open_page(browser, f"{base_url}/")
    links = browser.execute_script(
        "return [...document.querySelectorAll('.md-select__link')].map(a => [a.textContent.trim(), a.getAttribute('href')])")
    assert ["中文", "/zh/"] in links and ["English", "/"] in links, links
    open_page(browser, f"{base_url}/zh/")
    assert "学习的流程" in browser.find_element(By.CSS_SELECTOR, ".md-content").text
    assert browser.execute_script("return document.documentElement.lang") == "zh"


def test_chinese_search_finds_a_chinese_word(browser: WebDriver, base_url: str) -> None:
    chapter = resolve("chapter4")
    open_page(browser, f"{base_url}/zh/")
    browser.find_element(By.CSS_SELECTOR, "label.md-search__icon, .md-search__input").click()
    field = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    WebDriverWait(browser, WAIT_S).until(lambda d: field.is_displayed())
    field.send_keys("过拟合")
    result_links = "return [...document.querySelectorAll('.md-search-result__item a')].map(a => a.href)"
    wanted = f"zh/course/{chapter.stem}/"
    WebDriverWait(browser, WAIT_S).until(
        lambda d: any(wanted in href for href in d.execute_script(result_links)),
        message=f"no search result for '过拟合' links to {wanted}",
    )
    screenshot(browser, "zh-search.png")
    assert console_errors(browser) == []
