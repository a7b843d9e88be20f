"""The "New job" wizard, driven as a person would: load a file, write, click, review, submit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QListWidget, QTableView

from app.core.keys import KeyStore
from app.core.build.schema_files import fields_from_schema
from app.core.spec import FieldSpec, JobSpec, load_spec
from app.ui.common import settings
from app.ui.models.fields_model import FieldsModel
from app.ui.models.table_model import DataFrameModel
from app.ui.wizard import NewJobWizard
from app.ui.wizard.consent_box import consent_key

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample" / "reviews.csv"
DEMO_SPEC = ROOT / "examples" / "demo-reviews.json"
WAIT = 10_000


@pytest.fixture
def wizard(qtbot, keys: KeyStore) -> Iterator[NewJobWizard]:
    widget = NewJobWizard(keys)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.cancel_work()
    QThreadPool.globalInstance().waitForDone(WAIT)
    QApplication.processEvents()


def load_sample(qtbot, wizard: NewJobWizard, path: Path = SAMPLE) -> None:
    wizard.load_file(path)
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.data_page.problems(), timeout=WAIT)


def click_column(qtbot, columns: QListWidget, name: str) -> None:
    item = columns.findItems(name, Qt.MatchFlag.MatchExactly)[0]
    qtbot.mouseClick(columns.viewport(), Qt.MouseButton.LeftButton, pos=columns.visualItemRect(item).center())


def add_field(qtbot, wizard: NewJobWizard, name: str, type_label: str, choices: str = "", low: str = "", high: str = "") -> None:
    page = wizard.fields_page
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    page.editor.name_edit.selectAll()
    qtbot.keyClicks(page.editor.name_edit, name)
    page.editor.type_combo.setCurrentIndex(page.editor.type_combo.findText(type_label))
    type_choices_and_range(qtbot, page, choices.splitlines(), low, high)


def type_choices_and_range(qtbot, page, choices: Sequence[str] = (), low: str = "", high: str = "") -> None:  # noqa: ANN001
    """Type a field's choices (one per line) and its minimum and maximum into the field editor."""
    for number, line in enumerate(choices):
        if number:
            qtbot.keyClick(page.editor.choices_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(page.editor.choices_edit, line)
    if low:
        qtbot.keyClicks(page.editor.min_edit, low)
    if high:
        qtbot.keyClicks(page.editor.max_edit, high)


def fill_until_review(qtbot, wizard: NewJobWizard) -> None:
    """Sample loaded → instructions → one field → Demo → Review."""
    load_sample(qtbot, wizard)
    wizard.next()
    qtbot.keyClicks(wizard.instructions_page.instructions_edit, "Code the sentiment of each review.")
    click_column(qtbot, wizard.instructions_page.columns_list, "body")
    wizard.next()
    add_field(qtbot, wizard, "sentiment", "Category", "positive\nneutral\nnegative")
    wizard.next()
    wizard.model_page.set_provider("demo")
    wizard.next()
    assert wizard.current_page() is wizard.review_page
    qtbot.waitUntil(lambda: wizard.review_page.spec is not None, timeout=WAIT)


# ---- the table model -----------------------------------------------------------------------------


def test_table_model_passes_qt_model_checks(qtmodeltester) -> None:
    model = DataFrameModel()
    frame = pd.DataFrame({"id": ["1", "2", "3"], "text": ["a", None, "x" * 500]}, dtype="str")
    model.set_frame(frame, lambda pos: pos + 2)
    qtmodeltester.check(model)
    assert model.data(model.index(1, 1)) == ""  # a missing cell shows empty, not "nan"
    assert model.data(model.index(2, 1)).endswith("…")  # long texts are cut for display
    assert len(model.data(model.index(2, 1), Qt.ItemDataRole.ToolTipRole)) == 500
    assert model.headerData(0, Qt.Orientation.Vertical) == 2
    model.set_highlighted_columns(["text"])
    assert model.headerData(1, Qt.Orientation.Horizontal) == "● text"


def test_table_model_shows_a_million_rows_at_once(qtbot) -> None:
    rows = 1_000_000
    ids = np.arange(rows).astype(str)
    frame = pd.DataFrame({"id": pd.array(ids, dtype="str"), "text": pd.array(ids, dtype="str")})
    model = DataFrameModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    model.set_frame(frame)  # how fast: benchmarks/ui_responsiveness.py
    view.setModel(model)
    view.show()
    QApplication.processEvents()
    view.scrollToBottom()
    QApplication.processEvents()
    last = model.data(model.index(rows - 1, 1))
    assert model.rowCount() == rows and last == str(rows - 1)


def test_fields_model_passes_qt_model_checks(qtmodeltester) -> None:
    model = FieldsModel()
    model.set_fields([FieldSpec("a", "boolean"), FieldSpec("b", "category", choices=["x", "y"])])
    qtmodeltester.check(model)
    model.add(FieldSpec("c", "text"))
    assert model.move(2, -1) == 1
    assert model.names() == ["a", "c", "b"]
    assert model.move(0, -1) == 0
    model.remove(0)
    assert model.names() == ["c", "b"]
    assert model.problems() == []
    model.add(FieldSpec("c", "category"))
    problems = model.problems()
    assert any("needs a list of choices" in p for p in problems)
    assert any('Two output fields are called "c"' in p for p in problems)


# ---- the whole way through ---------------------------------------------------------------------


def test_a_person_builds_and_submits_a_job(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    assert wizard.step_names == ("Data", "Instructions", "Output fields", "Model", "Review")
    assert not wizard.next_button.isEnabled()
    assert "Open a data file" in wizard.next_reason()

    load_sample(qtbot, wizard)
    data = wizard.data_page
    assert "40 rows" in data.facts_label.text() and "UTF-8" in data.facts_label.text()
    assert data.model.rowCount() == 40
    data.id_chooser.combo.setCurrentIndex(data.id_chooser.combo.findData("review_id"))
    qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=WAIT)
    assert "No problems found" in data.issues_panel.text()
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)

    page = wizard.instructions_page
    assert wizard.current_page() is page
    assert not wizard.next_button.isEnabled()
    qtbot.keyClicks(page.instructions_edit, "Decide whether the review is positive, neutral or negative.")
    qtbot.keyClicks(page.template_edit, "Title: ")
    click_column(qtbot, page.columns_list, "title")
    qtbot.keyClick(page.template_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(page.template_edit, "Review: ")
    click_column(qtbot, page.columns_list, "body")
    assert page.template() == "Title: {title}\nReview: {body}"
    assert page.preview.toPlainText().startswith("Title: Great value for the money\nReview: The blender")
    page.row_spin.setValue(3)
    assert "Okay, nothing special" in page.preview.toPlainText()
    assert "● title" == data.model.headerData(1, Qt.Orientation.Horizontal)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)

    assert wizard.current_page() is wizard.fields_page
    assert "Add at least one output field" in wizard.next_reason()
    add_field(qtbot, wizard, "sentiment", "Category", "positive\nneutral\nnegative")
    add_field(qtbot, wizard, "confidence", "Number", low="0", high="1")
    add_field(qtbot, wizard, "stars", "Whole number", low="1", high="5")
    add_field(qtbot, wizard, "mentions_price", "Yes/No")
    add_field(qtbot, wizard, "topics", "List", "quality\nprice\nservice")
    add_field(qtbot, wizard, "quote", "Text")
    qtbot.keyClicks(wizard.fields_page.editor.description_edit, "shortest supporting quote")
    assert wizard.fields_page.editor.quote_check.isVisibleTo(wizard.fields_page)  # offered for text fields only
    wizard.fields_page.editor.quote_check.setChecked(True)
    assert wizard.fields_page.fields()[-1].verbatim_quote
    assert wizard.fields_page.problems() == []
    # reorder: quote to the top
    for _ in range(5):
        qtbot.mouseClick(wizard.fields_page.up_button, Qt.MouseButton.LeftButton)
    assert wizard.fields_page.model.names()[0] == "quote"
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)

    model_page = wizard.model_page
    assert wizard.current_page() is model_page
    model_page.provider_combo.setCurrentIndex(model_page.provider_combo.findData("demo"))
    assert model_page.model() == "demo-model"
    assert "needs no key" in model_page.key_label.text()
    model_page.request_settings.rows_combo.setCurrentIndex(model_page.request_settings.rows_combo.findData("fixed"))
    model_page.request_settings.rows_spin.setValue(5)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)

    review = wizard.review_page
    assert wizard.current_page() is review
    qtbot.waitUntil(lambda: review.requests is not None and review.manifest is not None, timeout=WAIT)
    shown = review.requests_view.toPlainText()
    assert '"custom_id": "preview-000001"' in shown and '"response_format"' in shown
    assert "Title: Great value for the money" in shown
    assert "Estimated cost" in review.estimate_box.cost_label.text()
    assert "input tokens" in review.estimate_box.tokens_label.text()
    assert "simulated" in review.estimate_box.source_label.text()
    assert "40 rows" in review.summary_label.text()
    assert "24 hours" in review.expect_label.text()
    assert review.consent.check.isHidden()  # the demo sends nothing anywhere
    assert review.submit_button.isEnabled()

    with qtbot.waitSignal(wizard.submit_requested, timeout=WAIT) as signal:
        qtbot.mouseClick(review.submit_button, Qt.MouseButton.LeftButton)
    spec, table = signal.args
    assert isinstance(spec, JobSpec)
    assert spec.data == SAMPLE and spec.id_column == "review_id" and spec.sheet is None
    assert spec.input_template == "Title: {title}\nReview: {body}"
    assert spec.provider == "demo" and spec.model == "demo-model" and spec.rows_per_request == 5
    assert spec.name == "reviews"
    kinds = {f.name: f.type for f in spec.fields}
    assert kinds == {
        "quote": "text", "sentiment": "category", "confidence": "number", "stars": "integer",
        "mentions_price": "boolean", "topics": "list",
    }  # fmt: skip
    by_name = {f.name: f for f in spec.fields}
    assert by_name["sentiment"].choices == ["positive", "neutral", "negative"]
    assert (by_name["confidence"].minimum, by_name["confidence"].maximum) == (0, 1)
    assert by_name["quote"].description == "shortest supporting quote"
    assert len(table) == 40 and table.columns == ["review_id", "title", "body", "stars"]
    stored = settings()
    assert stored.value("wizard/provider") == "demo"
    assert str(Path(stored.fileName()).parent).startswith(str(tmp_path))  # never the real settings


def test_a_binary_file_named_csv_gives_a_plain_error(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    bad = tmp_path / "survey.csv"
    bad.write_bytes(bytes(range(256)) * 64)
    wizard.load_file(bad)
    panel = wizard.data_page.error_panel
    qtbot.waitUntil(lambda: bool(panel.messages), timeout=WAIT)
    text = panel.plain_text()
    assert "survey.csv" in panel.text()
    assert "Traceback" not in text and "Error" not in text
    assert "binary" in text or "not a table" in text
    assert not wizard.next_button.isEnabled()
    assert wizard.table is None


def test_duplicate_ids_are_shown_with_row_numbers_and_block(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    path = tmp_path / "dupes.csv"
    path.write_text("id,text\n1,a\n2,b\n1,c\n3,\n", encoding="utf-8")
    wizard.load_file(path)
    data = wizard.data_page
    qtbot.waitUntil(lambda: data.issues() is not None, timeout=WAIT)
    assert data.id_column() == "id"  # guessed from its name
    assert "rows 2 and 4" in data.issues_panel.plain_text()
    assert not wizard.next_button.isEnabled()
    data.id_chooser.combo.setCurrentIndex(0)  # row numbers instead
    qtbot.waitUntil(lambda: wizard.next_button.isEnabled(), timeout=WAIT)


def test_a_template_naming_a_missing_column_blocks_next(qtbot, wizard: NewJobWizard) -> None:
    load_sample(qtbot, wizard)
    wizard.next()
    page = wizard.instructions_page
    qtbot.keyClicks(page.instructions_edit, "Code it.")
    qtbot.keyClicks(page.template_edit, "Review: {bdy}")
    assert not wizard.next_button.isEnabled()
    assert '"{bdy}"' in wizard.next_reason() and 'Did you mean "{body}"' in wizard.next_reason()
    assert '"{bdy}"' in page.template_panel.plain_text()
    wizard.next()
    assert wizard.current_page() is page
    assert wizard.current_spec() is None
    page.template_edit.clear()
    qtbot.keyClicks(page.template_edit, "Review: {body}")
    assert wizard.next_button.isEnabled()
    assert page.template_panel.isHidden()


def test_a_starter_fills_instructions_template_and_fields(qtbot, wizard: NewJobWizard) -> None:
    load_sample(qtbot, wizard)
    wizard.next()
    page = wizard.instructions_page
    page.starter_combo.setCurrentIndex(page.starter_combo.findData("stance"))
    qtbot.mouseClick(page.starter_button, Qt.MouseButton.LeftButton)
    assert "stance" in page.instructions().lower()
    assert page.template() == "Text: {body}"  # the column with the longest texts
    assert wizard.fields_page.model.names() == ["stance", "evidence"]
    assert wizard.next_button.isEnabled()
    page.instructions_edit.undo()
    assert page.instructions() == ""


def test_rows_per_request_start_automatic_with_compact_rows_and_round_trip(qtbot, wizard: NewJobWizard) -> None:
    page = wizard.model_page
    assert page.rows_per_request() == "auto" and page.request_settings.format_combo.currentData() == "compact"
    assert page.request_settings.rows_spin.isHidden() and page.row_format() is None  # the default for automatic
    page.request_settings.rows_combo.setCurrentIndex(page.request_settings.rows_combo.findData("fixed"))
    page.request_settings.rows_spin.setValue(8)
    assert not page.request_settings.rows_spin.isHidden() and page.rows_per_request() == 8 and page.request_settings.format_combo.currentData() == "json" and page.row_format() is None
    page.request_settings.format_combo.setCurrentIndex(page.request_settings.format_combo.findData("compact"))
    assert wizard.spec_dict()["rows_per_request"] == 8 and wizard.spec_dict()["row_format"] == "compact"
    page.request_settings.rows_spin.setValue(1)
    assert not page.request_settings.format_box.isEnabled()  # one row per request goes as it is
    raw = load_spec(DEMO_SPEC).to_dict() | {"rows_per_request": "auto", "row_format": "json"}
    wizard.open_settings(raw)
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.data_page.problems(), timeout=WAIT)
    assert page.rows_per_request() == "auto" and page.row_format() == "json"
    rebuilt = wizard.current_spec()
    assert rebuilt is not None and (rebuilt.rows_per_request, rebuilt.row_format) == ("auto", "json")
    assert rebuilt.to_dict() == load_spec(DEMO_SPEC).to_dict() | {"rows_per_request": "auto", "row_format": "json"}


def test_duplicate_as_new_job_fills_every_step(qtbot, wizard: NewJobWizard) -> None:
    spec = load_spec(DEMO_SPEC)
    wizard.load_spec(spec)
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.data_page.problems(), timeout=WAIT)
    assert wizard.data_page.id_column() == "review_id"
    assert wizard.instructions_page.template() == spec.input_template
    assert [f.name for f in wizard.fields_page.fields()] == [f.name for f in spec.fields]
    assert wizard.model_page.provider() == "demo" and wizard.model_page.rows_per_request() == 5
    rebuilt = wizard.current_spec()
    assert rebuilt is not None and rebuilt.to_dict() == spec.to_dict()
    wizard.reset()
    assert wizard.table is None and wizard.fields_page.fields() == [] and wizard.current_index() == 0
    assert wizard.current_spec() is None and "Data:" in wizard.next_reason()


def test_json_schema_export_and_import(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    page = wizard.fields_page
    page.set_fields(load_spec(DEMO_SPEC).fields)
    out = tmp_path / "schema.json"
    assert page.schema_files.export_schema(out)
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert schema["properties"]["sentiment"]["enum"] == ["positive", "neutral", "negative"]
    page.set_fields([])
    assert page.schema_files.import_schema(out)
    assert [f.to_dict() for f in page.fields()] == [f.to_dict() for f in load_spec(DEMO_SPEC).fields]

    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"type": "object", "properties": {
        "label": {"type": "string", "enum": ["a", "b"]},
        "address": {"type": "object", "properties": {}},
        "scores": {"type": "array", "items": {"type": "number"}},
    }}), encoding="utf-8")  # fmt: skip
    assert page.schema_files.import_schema(odd)
    assert page.model.names() == ["label"]
    report = page.import_panel.plain_text()
    assert "Imported 1 field" in report and '"address"' in report and '"scores"' in report
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert not page.schema_files.import_schema(broken)
    assert "not valid JSON" in page.import_panel.plain_text()
    assert page.model.names() == ["label"]  # unchanged

    nowhere = tmp_path / "missing-folder" / "schema.json"
    assert not page.schema_files.export_schema(nowhere)  # the folder is gone: said plainly, nothing raised
    assert "schema.json could not be written" in page.import_panel.plain_text()


def test_schema_import_reads_the_several_rows_form() -> None:
    from app.core.build.schema import output_schema

    fields = load_spec(DEMO_SPEC).fields
    result = fields_from_schema({"json_schema": {"schema": output_schema(fields, 5)}})
    assert [f.to_dict() for f in result.fields] == [f.to_dict() for f in fields] and not result.skipped


def test_sending_texts_needs_consent_once_per_provider(qtbot, wizard: NewJobWizard, keys: KeyStore) -> None:
    fill_until_review(qtbot, wizard)
    wizard.back()
    wizard.model_page.set_provider("openai")
    assert "No key is set for OpenAI" in wizard.model_page.key_label.text()
    keys.set("openai", "sk-test-0000000000000000000000")
    wizard.model_page.refresh_key_status()
    assert "A key is set for OpenAI" in wizard.model_page.key_label.text()
    wizard.next()
    review = wizard.review_page
    assert review.spec is not None and review.spec.provider == "openai"
    assert review.consent.check.isVisible() and "OpenAI" in review.consent.check.text()
    assert not review.submit_button.isEnabled() and not review.trial.button.isEnabled()
    assert "Tick" in review.submit_reason.text()
    with qtbot.assertNotEmitted(wizard.submit_requested):
        wizard.submit()
    review.consent.check.click()
    assert review.submit_button.isEnabled()
    assert settings().value(consent_key("openai", None, review.spec.data), type=bool)
    qtbot.waitUntil(lambda: review.manifest is not None, timeout=WAIT)

    again = NewJobWizard(keys)
    qtbot.addWidget(again)
    again.review_page.refresh(review.spec, review.table, [])
    assert again.review_page.consent.check.isChecked()  # the same data to the same provider
    other = JobSpec(**{**review.spec.__dict__, "data": review.spec.data.with_name("other.csv")})
    again.review_page.refresh(other, review.table, [])
    assert not again.review_page.consent.check.isChecked()  # another dataset: asked again
    again.cancel_work()


def test_submit_needs_a_key_and_says_so(qtbot, wizard: NewJobWizard, keys: KeyStore) -> None:  # noqa: ANN001
    fill_until_review(qtbot, wizard)
    wizard.back()
    wizard.model_page.set_provider("openai")
    wizard.next()
    review = wizard.review_page
    review.consent.check.setChecked(True)
    assert not review.submit_button.isEnabled()
    assert "No API key is set for OpenAI" in review.submit_reason.text()
    with qtbot.assertNotEmitted(wizard.submit_requested):
        wizard.submit()
    keys.set("openai", "sk-test-0000000000000000000000")
    wizard.back()
    wizard.next()
    assert review.submit_button.isEnabled()


def _drop(wizard: NewJobWizard, path: Path) -> bool:
    """Drag ``path`` onto the wizard and drop it, as from a file manager; whether the drop was taken.

    Qt hands a drop to the widget that accepted the drag's entering, so both are sent."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    where, copy, left, none = QPoint(100, 100), Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPointF(where), copy, mime, left, none)
    enter.setAccepted(False)
    QApplication.sendEvent(wizard, enter)
    drop = QDropEvent(QPointF(where), copy, mime, left, none)
    drop.setAccepted(False)
    QApplication.sendEvent(wizard, drop)
    return enter.isAccepted() and drop.isAccepted()


def test_dropping_a_file_loads_it(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4")
    assert not _drop(wizard, report)  # not a spreadsheet: refused, nothing loads
    assert not wizard.data_page.is_loading() and wizard.table is None

    assert _drop(wizard, SAMPLE)
    qtbot.waitUntil(lambda: wizard.table is not None, timeout=WAIT)
    assert wizard.table.path == SAMPLE


def test_try_on_five_rows_with_the_demo(qtbot, wizard: NewJobWizard) -> None:
    pytest.importorskip("app.core.run.pilot")
    from app.core.run.providers.demo import stop_demo_services

    try:
        fill_until_review(qtbot, wizard)
        review = wizard.review_page
        assert review.spec is not None and review.spec.rows_per_request == "auto"  # a new job's default
        qtbot.waitUntil(lambda: review.manifest is not None, timeout=WAIT)
        assert "(auto: " in review.summary_label.text() and "input tokens beyond its own text" in review.summary_label.text()
        qtbot.mouseClick(review.trial.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: review.trial.results is not None or bool(review.trial.error.messages), timeout=30_000)
        assert not review.trial.error.messages, review.trial.error.plain_text()
        assert review.trial.model.rowCount() == 5
        assert review.trial.model.columns() == ["Row ID", "Status", "Reason", "sentiment"]
        statuses = {review.trial.model.cell(r, 1) for r in range(5)}
        assert statuses <= {"coded", "failed", "refused", "truncated", "invalid", "missing"}
        assert "Trial finished" in review.trial.status.text()
    finally:
        wizard.cancel_work()
        QThreadPool.globalInstance().waitForDone(WAIT)
        stop_demo_services()


def test_loading_runs_in_the_background_and_can_be_cancelled(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    rows = 300_000
    pd.DataFrame({"id": np.arange(rows), "text": ["some words to code"] * rows}).to_csv(big, index=False)
    load_sample(qtbot, wizard)
    wizard.load_file(big)
    data = wizard.data_page  # load_file returned while the file is still being read in a Task:
    assert data.is_loading() and data.load_row.isVisible() and not wizard.next_button.isEnabled()
    qtbot.mouseClick(data.load_row.cancel_button, Qt.MouseButton.LeftButton)
    assert not data.is_loading() and "Loading stopped" in data.error_panel.plain_text()
    assert wizard.table is not None and wizard.table.path == SAMPLE  # the previous file stays
    QThreadPool.globalInstance().waitForDone(WAIT)
    QApplication.processEvents()
    assert wizard.table.path == SAMPLE
    wizard.load_file(big)
    qtbot.waitUntil(lambda: wizard.table is not None and len(wizard.table) == rows, timeout=WAIT)
    assert data.model.rowCount() == rows


def test_large_files_are_estimated_from_a_sample() -> None:
    from app.core.data import load_table
    from app.core.build.estimate import estimate

    spec = load_spec(DEMO_SPEC)
    table = load_table(SAMPLE)
    full = estimate(spec, table)
    sampled = estimate(spec, table, full_rows=10, sample=20)
    assert sampled["sampled"] == 20 and "sample of 20 rows" in sampled["tokens"]["method"]
    assert sampled["rows_sent"] == full["rows_sent"] == 40 and sampled["requests"] == full["requests"]
    assert 0.5 < sampled["tokens"]["input_total"] / full["tokens"]["input_total"] < 1.5


def test_excel_workbooks_offer_their_sheets(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    book = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"note": ["read me first"]}).to_excel(writer, sheet_name="About", index=False)
        pd.DataFrame({"id": [1, 2, 3], "answer": ["yes", "no", "maybe"]}).to_excel(writer, sheet_name="Answers", index=False)
    wizard.load_file(book)
    data = wizard.data_page
    qtbot.waitUntil(lambda: wizard.table is not None, timeout=WAIT)
    assert [data.file_row.sheet_combo.itemText(i) for i in range(data.file_row.sheet_combo.count())] == ["About", "Answers"]
    assert data.file_row.sheet_combo.isVisible() and wizard.table.sheet == "Answers"  # the notes sheet is passed over
    assert wizard.table.columns == ["id", "answer"] and "sheet “Answers”" in data.facts_label.text()
    data.file_row.sheet_combo.setCurrentIndex(0)
    data.file_row.sheet_combo.activated.emit(0)
    qtbot.waitUntil(lambda: wizard.table is not None and wizard.table.sheet == "About", timeout=WAIT)
    assert wizard.table.columns == ["note"] and wizard.spec_dict()["sheet"] == "About"


def test_a_million_row_table_opens_at_once_in_the_data_step(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:
    from app.core.data import Table

    rows = 1_000_000
    ids = pd.array(np.arange(rows).astype(str), dtype="str")
    table = Table(pd.DataFrame({"id": ids, "text": ids}), tmp_path / "big.csv")
    wizard.data_page.set_table(table)  # how fast: benchmarks/ui_responsiveness.py
    QApplication.processEvents()
    assert wizard.data_page.model.rowCount() == rows and wizard.instructions_page.row_spin.maximum() == rows
    qtbot.waitUntil(lambda: wizard.data_page.issues() is not None, timeout=WAIT)  # the check ran in a Task


def test_refreshing_models_says_why_the_list_could_not_be_had(
    qtbot, wizard: NewJobWizard, keys: KeyStore, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    from app.core.simulator import SimulatedService

    service = SimulatedService(api_key="sk-right-key-for-this-test")
    service.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", service.openai_base_url)
        page, chooser = wizard.model_page, wizard.model_page.model_chooser
        page.set_provider("openai")
        built_in = [chooser.combo.itemText(i) for i in range(chooser.combo.count())]

        keys.set("openai", "sk-wrong-key-for-this-test")
        qtbot.mouseClick(chooser.refresh_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: chooser.refresh_button.isEnabled(), timeout=WAIT)
        note = chooser.models_note.text()
        assert "BatchLab's own list" in note and "did not accept the API key" in note, note
        assert [chooser.combo.itemText(i) for i in range(chooser.combo.count())] == built_in

        keys.set("openai", "sk-right-key-for-this-test")
        qtbot.mouseClick(chooser.refresh_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: chooser.refresh_button.isEnabled(), timeout=WAIT)
        assert "available to your account" in chooser.models_note.text()
        assert chooser.combo.count() > 0
    finally:
        service.stop()


def test_refreshing_models_without_a_key_keeps_the_built_in_list(qtbot, wizard: NewJobWizard) -> None:
    page = wizard.model_page
    page.set_provider("anthropic")
    assert page.model() == "claude-haiku-4-5" and page.model_chooser.combo.count() > 1
    qtbot.mouseClick(page.model_chooser.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model_chooser.refresh_button.isEnabled(), timeout=WAIT)
    assert "BatchLab's own list" in page.model_chooser.models_note.text()
    assert page.model() == "claude-haiku-4-5" and page.model_chooser.combo.count() > 1
    page.set_provider("compatible")
    assert "Enter the server address" in " ".join(page.problems())
    page.base_url_edit.setText("ftp://example.org")
    assert "must start with http" in " ".join(page.problems())
    page.base_url_edit.setText("https://llm.example.org/v1")
    page.model_chooser.combo.setCurrentText("llama-3-70b")
    assert page.problems() == [] and page.endpoint() == "chat"
    assert "No key is set" in page.key_label.text()
