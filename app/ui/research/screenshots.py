"""The research screens for ``python -m app screenshots``: hand coding, Validation, Comparison, the report.

Called by app.ui.screenshots with the main window showing a finished Demo job. Everything is done
the way a person would: a sample is drawn and coded through the hand-coding screen (the gold
sentiment follows the sample reviews' star ratings, the topics a few plain keywords), a second coder is added, a 3-run repeat is
started from the Comparison tab, and the saved HTML report is shown as a browser would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QTextBrowser, QWidget

from app.core.research.gold_store import GoldStore
from app.core.research.runs import ComparisonPlan
from app.ui.main_window import MainWindow

Shoot = Callable[[QWidget, str], None]
Wait = Callable[[Callable[[], bool]], None]
_CHOICES = ("positive", "neutral", "negative")
#: How the example coder reads topics (the sample reviews are short and plain).
_TOPIC_WORDS = {
    "quality": ("quality", "broke", "stopped", "powerful", "motor", "quiet", "works", "leak", "cheaply made"),
    "price": ("price", "cheap", "expensive", "money", "value", "cost", "worth"),
    "service": ("service", "support", "delivery", "customer", "email", "refund", "return"),
}


def _gold_sentiment(stars: str) -> str:
    value = int(stars)
    return "positive" if value >= 4 else "neutral" if value == 3 else "negative"


def shoot_research(window: MainWindow, job_id: str, shoot: Shoot, wait: Wait, size: tuple[int, int]) -> None:
    """Screens 10–14: hand coding, the Validation tab, the Comparison tab, the methods report, and the
    Review step's check of the instructions on the hand-coded development rows."""
    window.open_job(job_id)
    detail = window.job_detail
    research = detail.research
    engine = window.controller.engine

    panel = research.hand_coding
    panel.coder.setText("Ana")
    research.open(panel)
    wait(lambda: panel.data is not None)
    panel.size.setValue(20)
    panel.seed.setValue(7)
    panel.draw()
    wait(lambda: panel.sample is not None)
    stars = dict(zip(panel.data.ids, panel.data.column("stars")))

    def answer() -> None:
        row_id = panel.current_row()
        text = panel.data.text(row_id).lower()
        topics = [topic for topic, words in _TOPIC_WORDS.items() if any(w in text for w in words)]
        panel.controls.set_values({"topics": topics})
        panel.controls.pick(_CHOICES.index(_gold_sentiment(stars[row_id])) + 1)

    rows = panel.sample.row_ids
    for _ in rows[:14]:  # the screen as in the middle of a session
        answer()
        panel.save_and_next()
    answer()
    shoot(window, "10-hand-coding")
    for _ in rows[14:]:
        answer()
        panel.save_and_next()
    store = GoldStore(engine.store)
    wait(lambda: len(store.labels(job_id, "Ana").get("Ana", {})) == 20)
    # A second coder who reads two of the reviews differently, for human–human agreement
    second = {r: dict(v) for r, v in store.labels(job_id, "Ana")["Ana"].items()}
    for row_id in list(second)[:2]:
        second[row_id]["sentiment"] = "neutral" if second[row_id]["sentiment"] != "neutral" else "positive"
    store.save_labels(job_id, "Ben", second, "hand coding")

    tab = research.validation
    research.open(tab)
    wait(lambda: tab.validation is not None and tab.confusion.has_figure() and tab.f1.has_figure())
    shoot(window, "11-validation")

    view = research.comparison
    research.open(view)
    view.start(ComparisonPlan(kind="repeat", runs=3))
    wait(lambda: view.agreement is not None and view.chart.has_figure())
    shoot(window, "12-comparison")

    with tempfile.TemporaryDirectory(prefix="batchlab-report-") as folder:
        path = Path(folder) / "methods-report.html"
        view.save_report(path)
        wait(view.report_button.isEnabled)  # enabled again once the report is written, or failed
        if not path.exists():
            raise RuntimeError(f"The methods report was not written: {view.panel.plain_text()}")
        browser = QTextBrowser()
        browser.setHtml(path.read_text(encoding="utf-8"))
        browser.resize(*size)
        browser.show()
        shoot(browser, "13-report")
        browser.close()
        browser.deleteLater()

    # The same instructions in a new job: the Review step pilots them on the development rows
    window.duplicate(engine.spec(job_id))
    wizard = window.wizard
    wait(lambda: wizard.table is not None and not wizard.is_busy())
    wizard.go_to(4)
    box = wizard.review_page.gold_pilot
    wait(lambda: box.source is not None and box.button.isEnabled())
    box.run()
    wait(lambda: not box.is_running() and "a trial on" in box.last.text())
    wait(lambda: not wizard.is_busy())
    shoot(window, "14-review-gold-check")
