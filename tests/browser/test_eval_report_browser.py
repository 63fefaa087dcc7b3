"""The eval report and the trend page as a maintainer opens them, in a real headless Chromium:
the per-question view (question, gold, answer, why it failed, documents, passages), its filters
and latency sort, the CI gate on the figures, the baseline on the headline bars, the warning when
the baseline ran other questions, and `eval trend DIR`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from evals.report import load_report, write_reports
from evals.runner import QuestionResult
from evals.summary import build_report, compare

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


def artifacts_dir() -> Path:
    path = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def result(qid: str, question: str, *, latency: float, **kw: object) -> QuestionResult:
    fields: dict[str, object] = {
        "id": qid, "question": question, "lang": "en", "kind": "factoid", "answerable": True,
        "gold_ids": ["004_tianjin"], "answers": ["1,000"], "answer": "", "refused": False, "score": 0.0,
        "correct": False, "retrieved": ["004_tianjin", "002_astana"], "used": ["004_tianjin"],
        "cited": ["004_tianjin"], "cited_sentences": 1, "supported_sentences": 1,
        "passages": [{"doc_id": "004_tianjin", "chunk_id": "004_tianjin:0",
                      "text": "The event drew over 1,000 attendees from government and enterprises."}],
        "timings_ms": {"retrieve": 10.0, "generate": latency - 10.0, "total": latency},
    }
    fields.update(kw)
    return QuestionResult(**fields)  # type: ignore[arg-type]


def results() -> list[QuestionResult]:
    return [
        result("q-pass", "How many attended the Tianjin event?", latency=120.0, answer="Over 1,000 [1].",
               score=1.0, correct=True),
        result("q-doc", "Where was the Astana forum launched?", latency=900.0, answer="In Tianjin [1].",
               gold_ids=["002_astana"], answers=["Astana"], retrieved=["004_tianjin"], used=["004_tianjin"]),
        result("q-sent", "How many projects were signed?", latency=450.0, answer="Over 1,000 attended [1].",
               answers=["24"]),
        result("q-ref", "Qui a organisé l'événement ?", latency=60.0, lang="fr", refused=True, cited=[],
               answer="Les documents ne répondent pas à cette question.", answers=["Tianjin"]),
        result("q-not", "Who won the 1998 world cup?", latency=300.0, kind="unanswerable", answerable=False,
               gold_ids=[], answers=[], answer="Tianjin [1].", retrieved=["004_tianjin"]),
    ]


CONFIG = {"dataset": "evals/datasets/corpus_dev.jsonl", "dataset_sha256": "new", "generator": "extractive",
          "k": 5, "limit": None, "git_commit": "abc1234", "created_utc": "2026-12-01T10:00:00Z",
          "corpus": {"paths": ["corpus"], "files": 5, "fingerprint": "f1"}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture
def report_html(tmp_path: Path) -> Path:
    # the baseline ran 98 other questions with another generator: the comparison means little
    base_results = [result(f"old-{i}", f"old question {i}?", latency=100.0, refused=True) for i in range(98)]
    base_config = {**CONFIG, "dataset_sha256": "old", "generator": "local", "git_commit": "0ld0000"}
    baseline = write_reports(build_report(base_results, base_config), tmp_path / "base")["json"]
    report = build_report(results(), CONFIG)
    report["delta"] = compare(report, load_report(baseline))
    return write_reports(report, tmp_path / "now")["html"]


def test_every_question_shows_question_gold_answer_why_documents_and_passages(page: Page, report_html: Path) -> None:
    page.goto(report_html.as_uri())
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(5)
    why = {q.get_attribute("data-id"): q.get_attribute("data-outcome") for q in questions.all()}
    assert why == {"q-pass": "pass", "q-doc": "wrong_doc", "q-sent": "wrong_sentence", "q-ref": "refused",
                   "q-not": "not_refused"}
    failed = page.locator("[data-testid=question][data-id=q-sent]")
    expect(failed).to_contain_text("right document, wrong sentence")
    expect(failed).to_have_css("border-left-color", "rgb(179, 38, 30)")  # failures in red
    expect(page.locator("[data-id=q-pass]")).to_have_css("border-left-color", "rgb(19, 115, 51)")
    failed.locator("summary").click()
    expect(failed.get_by_test_id("gold")).to_have_text("24")
    expect(failed.get_by_test_id("answer")).to_have_text("Over 1,000 attended [1].")
    expect(failed).to_contain_text("The event drew over 1,000 attendees")  # the passage used
    expect(failed.locator("code.gold").first).to_have_text("004_tianjin")  # expected doc marked
    page.screenshot(path=str(artifacts_dir() / "eval-report-question-open.png"), full_page=True)


def test_filters_by_outcome_kind_and_language_and_sorts_by_latency(page: Page, report_html: Path) -> None:
    page.goto(report_html.as_uri())
    page.get_by_test_id("f-outcome").select_option("wrong_doc")
    expect(page.locator("[data-testid=question]:visible")).to_have_count(1)
    expect(page.locator("[data-testid=question]:visible")).to_have_attribute("data-id", "q-doc")
    page.get_by_test_id("f-outcome").select_option("fail")
    expect(page.get_by_test_id("q-count")).to_have_text("4 of 5 questions")
    page.get_by_test_id("f-outcome").select_option("")
    page.get_by_test_id("f-lang").select_option("fr")
    expect(page.locator("[data-testid=question]:visible")).to_have_attribute("data-id", "q-ref")
    page.get_by_test_id("f-lang").select_option("")
    page.get_by_test_id("f-kind").select_option("unanswerable")
    expect(page.locator("[data-testid=question]:visible")).to_have_attribute("data-id", "q-not")
    page.get_by_test_id("f-kind").select_option("")
    page.get_by_test_id("f-sort").select_option("latency-desc")
    order = [q.get_attribute("data-id") for q in page.get_by_test_id("question").all()]
    assert order == ["q-doc", "q-sent", "q-not", "q-pass", "q-ref"]
    page.locator("#every-question").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir() / "eval-report-questions-sorted.png"))


def test_figures_show_the_ci_gate_the_baseline_and_a_loud_warning_for_another_run(
    page: Page, report_html: Path
) -> None:
    page.goto(report_html.as_uri())
    warning = page.get_by_test_id("baseline-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("the baseline ran 98 questions")
    expect(warning).to_contain_text("this run 5")
    expect(warning).to_contain_text('generator "local" → "extractive"')
    recall = page.locator("tr[data-figure='retrieval.recall@1'] [data-testid=gate]")
    expect(recall).to_contain_text("≥ 0.850")
    accuracy = page.locator("tr[data-figure='answers.accuracy'] [data-testid=gate]")
    bound = json.loads((ROOT / "evals" / "thresholds.json").read_text())["min"]["answers.accuracy"]
    expect(accuracy).to_have_text(f"≥ {bound:.3f} FAIL")  # 1 of 5 right: 0.2
    expect(page.locator("svg line title").first).to_contain_text("baseline")  # ticks on the bars
    page.screenshot(path=str(artifacts_dir() / "eval-report-top.png"))


def test_eval_trend_page_shows_each_headline_figure_per_commit_and_date(
    page: Page, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    for i, (commit, day) in enumerate((("aaa1111", "01"), ("bbb2222", "05"), ("ccc3333", "09"))):
        rows = results()
        rows[1] = result("q-doc", "Where?", latency=900.0, score=float(i > 0), correct=i > 0,
                         gold_ids=["002_astana"], answers=["Astana"])
        config = {**CONFIG, "git_commit": commit, "created_utc": f"2026-11-{day}T10:00:00Z"}
        write_reports(build_report(rows, config), folder / f"2026110{i}-{commit}-corpus_dev")
    assert main(["eval", "trend", str(folder)]) == 0
    assert "trend of 3 report(s)" in capsys.readouterr().out
    page.goto((folder / "trend.html").as_uri())
    rows = page.get_by_test_id("trend-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("aaa1111")
    expect(rows.nth(2)).to_contain_text("2026-11-09")
    assert page.locator("polyline").count() >= 11  # a line per headline figure
    page.screenshot(path=str(artifacts_dir() / "eval-trend.png"), full_page=True)
