"""The embeddable widget in a real headless Chromium, against the real API on loopback: the
demo partner page, a partner page on another origin, revocation, rate limits, CSS isolation."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import live_server
from partner_support import TIANJIN, Api, api_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from assistant.answer.chain import Assistant, StreamEvent
from assistant.models import Answer, Quote, Source

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ANSWER_TIMEOUT_MS = 120_000  # the first answer may wait for models to warm up on a shared machine
DONE = '[data-testid="message"][data-role="assistant"][data-state="done"]'

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def api(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with api_server(assistant, tmp_path_factory.mktemp("browser-db") / "assistant.sqlite3") as server:
        yield server


@pytest.fixture(scope="module")
def partner_site(api: Api) -> Iterator[str]:
    """Another origin (another loopback port): a partner page embedding the widget with the
    key given as ?key=..."""

    async def page(request: Request) -> HTMLResponse:
        key = html.escape(request.query_params.get("key", ""))
        return HTMLResponse(
            "<!doctype html><html lang='en'><head><title>Partner</title></head><body>"
            "<h1>Another partner site</h1>"
            f'<script src="{api.url}/widget.js" data-partner="{key}" defer></script></body></html>'
        )

    with live_server(lambda _url: Starlette(routes=[Route("/", page)])) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", reduced_motion="reduce"
    )
    yield context.new_page()
    context.close()


def artifacts_dir() -> Path:
    path = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ask(page: Page, question: str) -> None:
    if page.get_by_test_id("panel").is_hidden():
        page.get_by_test_id("launcher").click()
    page.get_by_test_id("input").fill(question)
    page.get_by_test_id("send").click()


def test_demo_page_widget_streams_a_cited_answer_whose_badges_open_the_quoted_passage(
    page: Page, api: Api
) -> None:
    page.goto(f"{api.url}/")
    launcher = page.get_by_test_id("launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(page.get_by_test_id("panel")).to_be_visible()
    expect(page.get_by_test_id("greeting")).to_contain_text("villes jumelles")  # the demo page is French

    ask(page, TIANJIN)
    answer = page.locator(DONE)
    expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_have_attribute("data-refused", "false")
    expect(answer).to_contain_text("1,000")
    badges = answer.get_by_test_id("citation-badge")
    expect(badges.first).to_be_visible()
    page.screenshot(path=str(artifacts_dir() / "widget-open.png"))

    badge = badges.first
    badge.click()
    popover = page.get_by_test_id("source-popover")
    expect(popover).to_be_visible()
    expect(popover).to_have_attribute("data-n", badge.get_attribute("data-n") or "")
    expect(badge).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("source-quote")).to_contain_text("Tianjin")
    page.keyboard.press("Escape")
    expect(popover).to_be_hidden()

    page.get_by_test_id("feedback-up").click()
    expect(page.get_by_test_id("feedback-status")).to_have_text("Merci pour votre avis")
    record = [r for r in api.feedback.records() if r.partner == "demo"][-1]
    assert (record.channel, record.rating, record.question) == ("widget", "up", TIANJIN)
    assert record.conversation  # the widget's session id

    text = answer.inner_text()
    page.reload()
    restored = page.locator(DONE)
    expect(restored).to_have_count(1)
    assert restored.inner_text() == text
    expect(page.get_by_test_id("panel")).to_be_visible()
    expect(page.locator('[data-testid="message"][data-role="user"]')).to_have_text(re.compile("Tianjin"))


def test_partner_page_css_does_not_leak_into_the_widget(page: Page, api: Api) -> None:
    page.goto(f"{api.url}/")
    page.get_by_test_id("launcher").click()
    expect(page.get_by_test_id("greeting")).to_be_visible()
    styles = page.evaluate(
        """() => {
            const root = document.querySelector('exchange-assistant-widget').shadowRoot;
            const style = (el) => { const cs = getComputedStyle(el);
                return {font: cs.fontFamily, color: cs.color, background: cs.backgroundColor}; };
            return {
                page: style(document.querySelector('main p')),
                greeting: style(root.querySelector('[data-testid="greeting"]')),
                input: style(root.querySelector('[data-testid="input"]')),
            };
        }"""
    )
    assert "Comic" in styles["page"]["font"]  # the hostile page CSS is in force on the page itself
    assert styles["page"]["color"] == "rgb(255, 0, 0)"
    for name in ("greeting", "input"):
        assert "Comic" not in styles[name]["font"], name
        assert styles[name]["color"] != "rgb(255, 0, 0)", name
    assert styles["input"]["background"] != "rgb(255, 255, 0)"


def test_widget_on_a_page_whose_origin_is_not_allowed_says_so_at_load_and_takes_no_question(
    page: Page, api: Api, partner_site: str
) -> None:
    demo_key = api.partners.get("demo").key  # allowed only on the API's own origin
    page.goto(f"{partner_site}/?key={demo_key}")
    launcher = page.get_by_test_id("launcher")
    expect(launcher).to_have_attribute("title", re.compile("not allowed to use the assistant"))
    launcher.click()
    notice = page.get_by_test_id("access-notice")
    expect(notice).to_contain_text("not allowed to use the assistant")  # before any question
    expect(page.get_by_test_id("greeting")).to_have_count(0)
    expect(page.get_by_test_id("input")).to_be_disabled()
    expect(page.get_by_test_id("send")).to_be_disabled()
    page.screenshot(path=str(artifacts_dir() / "widget-origin-not-allowed.png"))
    expect(page.locator('[data-testid="message"]')).to_have_count(0)


def test_widget_with_a_revoked_key_says_so_at_load(page: Page, api: Api, partner_site: str) -> None:
    partner = api.partner(origins=[partner_site])
    api.partners.revoke(partner.name)
    page.goto(f"{partner_site}/?key={partner.key}")
    page.get_by_test_id("launcher").click()
    expect(page.get_by_test_id("access-notice")).to_contain_text("access key has been revoked")
    expect(page.get_by_test_id("input")).to_be_disabled()


def test_partner_greeting_set_on_the_server_greets_visitors_of_the_partner_site(
    page: Page, api: Api, partner_site: str
) -> None:
    partner = api.partner(origins=[partner_site], greeting="Bonjour ! Questions sur nos villes jumelles ?")
    page.goto(f"{partner_site}/?key={partner.key}")
    page.get_by_test_id("launcher").click()
    expect(page.get_by_test_id("greeting")).to_have_text("Bonjour ! Questions sur nos villes jumelles ?")


def test_revoked_key_is_refused_in_the_widget_from_the_next_question(
    page: Page, api: Api, partner_site: str
) -> None:
    partner = api.partner(origins=[partner_site])
    page.goto(f"{partner_site}/?key={partner.key}")
    ask(page, TIANJIN)
    expect(page.locator(DONE)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)

    api.partners.revoke(partner.name)
    ask(page, "Which cities are twinned with Nancy?")
    error = page.get_by_test_id("error-message")
    expect(error).to_have_attribute("data-error", "forbidden", timeout=ANSWER_TIMEOUT_MS)
    expect(error).to_contain_text("access key has been revoked")
    expect(page.locator(DONE)).to_have_count(1)


def test_rate_limited_partner_gets_the_wait_message(page: Page, api: Api, partner_site: str) -> None:
    partner = api.partner(origins=[partner_site], rpm=1)
    page.goto(f"{partner_site}/?key={partner.key}")
    ask(page, TIANJIN)
    expect(page.locator(DONE)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)

    ask(page, "And how many projects were signed?")
    error = page.get_by_test_id("error-message")
    expect(error).to_have_attribute("data-error", "rateLimited", timeout=ANSWER_TIMEOUT_MS)
    # The number comes from Retry-After, which the widget can only read because it is exposed.
    expect(error).to_contain_text(re.compile(r"Too many questions, please wait \d+ seconds?\."))
    page.get_by_test_id("input").fill("one more")
    expect(page.get_by_test_id("send")).to_be_disabled()


# --- sources a person reads, the French demo page, desktop and mobile widths --------------------

QUESTION_FR = "Combien de personnes ont assisté à l’événement Tianjin-Qinghai ?"
PASSAGE_1 = (
    "Tianjin and Northwest China’s Qinghai province hosted a cultural and tourism-themed event at the "
    "Tianjin Binhai Cultural Center on May 29, with over 1,000 attendees from government, enterprises "
    "and social sectors."
)
PASSAGE_2 = (
    "The event highlighted the deep integration of industries between Qinghai and Tianjin, resulting in "
    "the signing of cooperation agreements for 24 key projects across eight categories."
)


def canned_answer() -> Answer:
    """One document cited twice: one source with its two passages, quoted in English for a
    French question (what the core emits once sources are per document)."""
    source = Source(
        n=1, doc_id="004_9bc1640c6c35c08d", title="Tianjin and Qinghai to Boost Cultural Exchanges",
        source="/srv/exchange/corpus/004_9bc1640c6c35c08d.txt", date="2024-05-29", language="en",
        quote=PASSAGE_1, score=0.9, chunk_id="004_9bc1640c6c35c08d:0",
        passages=[Quote(chunk_id="004_9bc1640c6c35c08d:0", quote=PASSAGE_1),
                  Quote(chunk_id="004_9bc1640c6c35c08d:1", quote=PASSAGE_2)],
    )
    return Answer(
        answer="Plus de 1 000 personnes ont assisté à l’événement [1]. Des accords ont été signés pour "
        "24 projets clés [1].",
        citations=[source], refused=False, language="fr",
    )


class CannedAssistant:
    """The real assistant (index, limits) answering with a hand-built Answer."""

    def __init__(self, real: Assistant, answer: Answer) -> None:
        self._real, self._answer = real, answer

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def warm(self) -> None:
        pass

    def stream(self, question: str, history: object = None, filters: object = None) -> Iterator[StreamEvent]:
        yield StreamEvent("token", text=self._answer.answer)
        yield StreamEvent("done", answer=self._answer)

    def answer(self, question: str, history: object = None, filters: object = None) -> Answer:
        return self._answer


@pytest.fixture(scope="module")
def canned_api(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    canned = CannedAssistant(assistant, canned_answer())
    with api_server(canned, tmp_path_factory.mktemp("canned-db") / "assistant.sqlite3") as server:  # type: ignore[arg-type]
        yield server


def test_one_badge_per_document_opens_its_passages_labelled_with_their_language(
    page: Page, canned_api: Api
) -> None:
    page.goto(f"{canned_api.url}/")
    ask(page, QUESTION_FR)
    answer = page.locator(DONE)
    expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    items = answer.get_by_test_id("source-item")
    expect(items).to_have_count(1)  # the document once, though two of its passages are cited
    expect(items.first).to_have_text(re.compile(r"\[1\]\s*Tianjin and Qinghai to Boost Cultural Exchanges · 29 mai 2024"))
    expect(answer).not_to_contain_text("004_9bc1640c6c35c08d")

    answer.get_by_test_id("citation-badge").first.click()
    popover = page.get_by_test_id("source-popover")
    expect(popover).to_be_visible()
    quotes = popover.get_by_test_id("source-quote")
    expect(quotes).to_have_count(2)
    expect(quotes.nth(0)).to_contain_text("over 1,000 attendees")
    expect(quotes.nth(1)).to_contain_text("24 key projects")
    expect(popover.get_by_test_id("quote-language")).to_have_text("Extrait en anglais")
    expect(popover).to_contain_text("29 mai 2024")
    expect(popover.get_by_test_id("source-doc-id")).to_have_count(0)  # a title exists: no hash id
    assert "null" not in popover.inner_text()
    page.screenshot(path=str(artifacts_dir() / "widget-sources-per-document.png"))


def test_demo_page_is_french_and_the_header_title_is_whole_at_desktop_width(page: Page, api: Api) -> None:
    page.goto(f"{api.url}/")
    page.get_by_test_id("launcher").click()
    expect(page.get_by_test_id("greeting")).to_contain_text("Bonjour")
    expect(page.get_by_test_id("input")).to_have_attribute("placeholder", "Posez votre question sur un échange…")
    title = page.locator("exchange-assistant-widget .title")
    expect(title).to_have_text("Assistant des échanges internationaux")
    fits = title.evaluate("el => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1")
    assert fits, "the header title is cut off"
    page.screenshot(path=str(artifacts_dir() / "widget-demo-fr-desktop.png"))


def test_widget_fills_a_phone_screen_with_the_title_whole_and_sources_readable(
    browser: Browser, canned_api: Api
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True,
                                  reduced_motion="reduce",
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{canned_api.url}/")
        page.get_by_test_id("launcher").click()
        panel = page.get_by_test_id("panel")
        box = panel.bounding_box()
        assert box is not None and (box["width"], box["height"]) == (390, 844)
        title = page.locator("exchange-assistant-widget .title")
        assert title.evaluate("el => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1")
        ask(page, QUESTION_FR)
        answer = page.locator(DONE)
        expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
        page.screenshot(path=str(artifacts_dir() / "widget-mobile-answer.png"))
        answer.get_by_test_id("citation-badge").first.tap()
        popover = page.get_by_test_id("source-popover")
        expect(popover.get_by_test_id("source-quote")).to_have_count(2)
        pop = popover.bounding_box()
        assert pop is not None and pop["x"] >= 0 and pop["x"] + pop["width"] <= 390
        page.screenshot(path=str(artifacts_dir() / "widget-mobile-passages.png"))
    finally:
        context.close()
