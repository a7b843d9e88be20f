"""Validation through the screens: hand-code a sample, run the Demo job, read and save the figures.

Only native file dialogs are stepped over (``save_to`` / ``export_gold`` stand for Save). Gold
answers follow the sample's star ratings, so the expected figures are computed here from the job's
own rows, independently of the validation code.
"""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QWidget

from app.core.research.gold_store import GoldStore
from app.core.spec import load_spec
from app.ui.main_window import MainWindow
from app.ui.research.disagreements import DisagreementDialog
from tests.ui.test_full_flow import SAMPLE, choose, click, open_job, wait_for, window  # noqa: F401
from tests.ui.test_jobs_window import fast_demo, submit  # noqa: F401

SAMPLE_SPEC = SAMPLE.with_name("reviews-demo.json")

STARS = {row["review_id"]: int(row["stars"]) for row in csv.DictReader(SAMPLE.open(encoding="utf-8"))}
SENTIMENTS = ("positive", "neutral", "negative")


def sentiment_of(row_id: str) -> str:
    stars = STARS[row_id]
    return "positive" if stars >= 4 else "neutral" if stars == 3 else "negative"


def open_tab(qtbot, tabs: QTabWidget, page: QWidget) -> None:  # noqa: ANN001
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(tabs.indexOf(page)).center())
    assert tabs.currentWidget() is page


def code_sample(qtbot, panel, coder: str, flip_first: bool = False) -> list[str]:  # noqa: ANN001
    """Type the coder's name, then code every sample row with the number keys and Enter."""
    panel.coder.selectAll()
    qtbot.keyClicks(panel.coder, coder)
    qtbot.keyClick(panel.coder, Qt.Key.Key_Return)
    wait_for(qtbot, lambda: panel.data is not None and panel.sample is not None and panel.position == 0)
    assert panel.progress.value() == 0
    coded = []
    for i in range(len(panel.sample.row_ids)):
        row_id = panel.current_row()
        assert panel.row_title.text().startswith(f"Row {row_id}")
        assert panel.text.toPlainText().startswith("Title: ")
        answer = SENTIMENTS.index(sentiment_of(row_id))
        if flip_first and i == 0:
            answer = (answer + 1) % 3
        qtbot.keyClick(panel, Qt.Key(Qt.Key.Key_1 + answer))
        qtbot.keyClick(panel, Qt.Key.Key_Return)
        coded.append(row_id)
    return coded


def test_hand_coding_then_validating_the_demo_job_through_the_screens(  # noqa: ANN001
    qtbot, fast_demo, window: MainWindow, tmp_path: Path  # noqa: F811
) -> None:
    job_id = submit(qtbot, window.controller, load_spec(SAMPLE_SPEC))  # the sample project, on the Demo provider
    wait_for(qtbot, lambda: window.jobs_view.model.row_of(job_id) >= 0)
    open_job(qtbot, window, job_id)
    detail = window.job_detail
    research = detail.research

    # Hand coding: a seeded sample of 20, coded blind with the keyboard, saved as we go
    panel = research.hand_coding
    open_tab(qtbot, detail.tabs, panel)
    wait_for(qtbot, lambda: panel.data is not None)
    panel.size.selectAll()
    qtbot.keyClicks(panel.size, "20")
    panel.seed.selectAll()
    qtbot.keyClicks(panel.seed, "7")
    click(qtbot, panel.draw_button)
    wait_for(qtbot, lambda: panel.sample is not None)
    assert "Sample of 20 rows drawn with seed 7" in panel.sample_facts.text()
    panel.setFocus()
    ana = code_sample(qtbot, panel, "ana")
    store = GoldStore(window.controller.engine.store)
    wait_for(qtbot, lambda: len(store.labels(job_id).get("ana", {})) == 20)
    assert panel.progress.value() == 20
    assert {r: v["sentiment"] for r, v in store.labels(job_id)["ana"].items()} == {r: sentiment_of(r) for r in ana}
    assert store.sample(job_id).seed == 7 and len(set(ana)) == 20

    # Backspace goes back; a second coder disagrees on one row
    qtbot.keyClick(panel, Qt.Key.Key_Backspace)
    assert panel.current_row() == ana[-2]
    ben = code_sample(qtbot, panel, "ben", flip_first=True)
    assert ben == ana  # the same rows, in the same order
    wait_for(qtbot, lambda: len(store.labels(job_id).get("ben", {})) == 20)

    # The Demo job runs to the end meanwhile
    wait_for(qtbot, lambda: (job := window.controller.job(job_id)) is not None and job.state == "done", 30_000)
    coded = {r.row_id: r for r in window.controller.engine.rows(job_id)}
    compared = [r for r in ana if coded[r].status == "coded"]
    agree = sum(coded[r].values["sentiment"] == sentiment_of(r) for r in compared)

    # Validation: Ana's labels as gold, Ben's beside them
    tab = research.validation
    open_tab(qtbot, detail.tabs, tab)
    wait_for(qtbot, lambda: tab.coder.count() == 3)
    choose(qtbot, tab.coder, "ana")
    wait_for(qtbot, lambda: tab.validation is not None and tab.validation.coder == "ana" and tab.validate_button.isEnabled())
    assert f"20 rows with gold labels; {len(compared)} compared" in tab.summary.text()
    table = tab.table_model
    cells, field = {}, ""
    for r in range(table.rowCount()):
        row = [table.index(r, c).data() for c in range(table.columnCount())]
        field = row[0].split(" (")[0] or field  # a field's name heads its first measure only
        cells[(field, row[1])] = row
    assert table.index(0, 0).data() == f"sentiment (n={len(compared)})"
    accuracy = cells[("sentiment", "Accuracy")]
    assert accuracy[2] == f"{agree / len(compared):.3f}"
    assert accuracy[3] == f"{19 / 20:.3f}"  # Ana and Ben differ on one row of 20, shown beside the model
    low, high = (float(x) for x in accuracy[4].split(" – "))
    assert low <= agree / len(compared) <= high
    assert cells[("sentiment", "Krippendorff's α")][5]  # Krippendorff's reading beside α
    assert "No gold labels for: confidence" in tab.summary.text()

    # A disagreement opens with the row's text, the gold and the model's answer
    wrong = [r for r in compared if coded[r].values["sentiment"] != sentiment_of(r)]
    assert wrong, "the Demo model should get some of the 20 rows wrong"
    listing = tab.disagreements
    choose(qtbot, listing.field, "sentiment")
    assert sorted(listing.model.index(i, 0).data() for i in range(listing.model.rowCount())) == sorted(wrong)
    first = listing.model.index(0, 0)
    row_id = first.data()
    where = listing.view.visualRect(first).center()
    qtbot.mouseClick(listing.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(listing.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    dialog = next(d for d in tab.findChildren(DisagreementDialog) if d.isVisible())
    assert dialog.values["Gold"] == sentiment_of(row_id)
    assert dialog.values["Model"] == coded[row_id].values["sentiment"]
    row_number = next(i for i, r in enumerate(STARS, start=2) if r == row_id)  # the header is row 1
    assert dialog.windowTitle() == f"Row {row_id} (row {row_number} of the data file) — sentiment"
    dialog.close()

    # The confusion matrix, saved as PNG and SVG; the gold labels as CSV
    choose(qtbot, tab.figure_field, "sentiment")
    wait_for(qtbot, tab.confusion.has_figure)
    assert tab.f1.picture.pixmap() is not None
    for name in ("confusion.png", "confusion.svg"):
        with qtbot.waitSignal(tab.confusion.saved, timeout=20_000):
            tab.confusion.save_to(tmp_path / name)
    assert (tmp_path / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "confusion.svg").read_text(encoding="utf-8")
    tab.export_gold(tmp_path / "gold.csv")
    wait_for(qtbot, lambda: (tmp_path / "gold.csv").exists() and "saved" in tab.panel.text())
    rows = list(csv.DictReader((tmp_path / "gold.csv").open(encoding="utf-8")))
    assert len(rows) == 40 and {r["coder"] for r in rows} == {"ana", "ben"}


def _panel_for(qtbot, batchlab_home: Path, keys, data: Path | None = None):  # noqa: ANN001, ANN202
    """A hand-coding panel on a (not yet sent) job of the sample project, its data read."""
    from dataclasses import replace

    from app.core.run.engine import Engine
    from app.ui.research.hand_coding import HandCodingPanel

    engine = Engine(batchlab_home, keys)
    spec = load_spec(SAMPLE_SPEC)
    job_id = engine.create_job(replace(spec, data=data) if data else spec)
    panel = HandCodingPanel(engine)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_job(job_id)
    wait_for(qtbot, lambda: panel.data is not None)
    return engine, job_id, panel


def test_gold_file_import_lists_problems_by_row_and_keeps_the_good_labels(  # noqa: ANN001
    qtbot, batchlab_home: Path, keys, tmp_path: Path
) -> None:
    from app.ui.research.gold_dialogs import GoldImportDialog

    gold = tmp_path / "gold.csv"
    gold.write_text(
        "review_id,Human Sentiment,price\nR001, Positive ,yes\nR002,furious,no\nR999,neutral,no\nR004,negative,1\n",
        encoding="utf-8",
    )
    engine, job_id, panel = _panel_for(qtbot, batchlab_home, keys)
    click(qtbot, panel.import_button)
    dialog = next(d for d in panel.findChildren(GoldImportDialog) if d.isVisible())
    dialog.load_file(gold)  # the Open dialog's answer
    wait_for(qtbot, lambda: dialog.result_ is not None and dialog.check_button.isEnabled())  # read at once
    assert dialog.id_column.currentText() == "review_id" and dialog.coder.text() == "gold"
    assert dialog.combos["sentiment"].currentText() == "Human Sentiment"  # matched by name
    assert dialog.combos["mentions_price"].currentText() == "— not used —"  # no column named like it
    choose(qtbot, dialog.combos["mentions_price"], "price")
    assert dialog.result_ is None and not dialog.import_button.isEnabled()  # a new mapping is checked again
    click(qtbot, dialog.check_button)
    wait_for(qtbot, lambda: dialog.result_ is not None)
    problems = [
        [dialog.problems.index(r, c).data() for c in range(3)] for r in range(dialog.problems.rowCount())
    ]
    assert {p[0] for p in problems} == {"3", "4"}  # "furious" on row 3, the unknown ID on row 4
    assert any("furious" in p[2] for p in problems) and any("R999" in p[2] for p in problems)
    assert "3 rows with gold labels can be imported" in dialog.panel.text()  # R002 keeps its price answer
    with qtbot.waitSignal(panel.labels_changed, timeout=10_000):
        click(qtbot, dialog.import_button)
    labels = GoldStore(engine.store).labels(job_id)["gold"]
    assert labels["R001"] == {"sentiment": "positive", "mentions_price": True}
    assert labels["R004"] == {"sentiment": "negative", "mentions_price": True}
    assert "R002" in labels and "sentiment" not in labels["R002"]  # its bad value is reported, not kept
    engine.store.close()


def test_gold_from_a_data_column(qtbot, batchlab_home: Path, keys, tmp_path: Path) -> None:  # noqa: ANN001
    from app.ui.research.gold_dialogs import GoldColumnDialog

    rows = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))
    data = tmp_path / "reviews.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*rows[0], "gold_sentiment"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "gold_sentiment": sentiment_of(row["review_id"])})
    engine, job_id, panel = _panel_for(qtbot, batchlab_home, keys, data)
    click(qtbot, panel.column_button)
    dialog = next(d for d in panel.findChildren(GoldColumnDialog) if d.isVisible())
    assert dialog.combos["sentiment"].currentText() == "gold_sentiment"  # matched by name
    click(qtbot, dialog.check_button)
    wait_for(qtbot, lambda: dialog.import_button.isEnabled())
    assert "40 rows with gold labels" in dialog.panel.text()
    with qtbot.waitSignal(panel.labels_changed, timeout=10_000):
        click(qtbot, dialog.import_button)
    labels = GoldStore(engine.store).labels(job_id)["data column"]
    assert {r: v["sentiment"] for r, v in labels.items()} == {r: sentiment_of(r) for r in STARS}
    engine.store.close()


def test_the_review_step_pilots_on_the_development_rows_and_shows_the_last_check(  # noqa: ANN001
    qtbot, fast_demo, window: MainWindow  # noqa: F811
) -> None:
    from app.core.research.sampling import DEV, draw_sample

    controller = window.controller
    job_id = submit(qtbot, controller, load_spec(SAMPLE_SPEC))
    store = GoldStore(controller.engine.store)
    sample = draw_sample(list(STARS), 20, seed=3)
    store.save_sample(job_id, sample)
    store.save_labels(job_id, "ana", {r: {"sentiment": sentiment_of(r)} for r in sample.row_ids}, "hand coding")
    dev = sample.part(DEV)

    wizard = window.wizard
    window.duplicate(load_spec(SAMPLE_SPEC))  # the same instructions again, as "Duplicate" does
    wait_for(qtbot, lambda: wizard.table is not None and not wizard.is_busy())
    wizard.go_to(4)
    box = wizard.review_page.gold_pilot
    wait_for(qtbot, lambda: box.source is not None and box.button.isEnabled())
    assert box.isVisible() and box.source.job_id == job_id and sorted(box.source.dev_rows) == sorted(dev)
    assert "have not been checked" in box.last.text()
    with qtbot.waitSignal(box.validated, timeout=30_000) as done:
        click(qtbot, box.button)
    validation = done.args[0]
    assert validation.rows_with_gold == len(dev)
    shown = validation.fields["sentiment"]
    assert f"sentiment: accuracy {shown['accuracy']:.3f}" in box.last.text() and "a trial on" in box.last.text()

    # Later, the same instructions show that check, read back from the job history
    wizard.go_to(3)
    wizard.go_to(4)
    box.show_spec(wizard.review_page.spec, wizard.review_page.table)
    wait_for(qtbot, lambda: box.source is not None)
    assert "a trial on" in box.last.text() and "UTC" in box.last.text()
