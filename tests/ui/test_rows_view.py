"""The rows view: rows beside their texts, sorted, filtered by a field's value, searched, and every
row of a large job within reach (the job history is filled directly, as a finished job leaves it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core.keys import KeyStore
from app.core.results.row_query import JobRows, RowQuery
from app.core.run.engine import Engine
from app.core.run.store import Store
from app.core.spec import FieldSpec, JobSpec
from app.ui.jobs_controller import JobsController
from app.ui.row_detail import pretty_json
from app.ui.rows_view import RowsView

TONES = ("good", "bad", "mixed")


def fill_job(home: Path, rows: int, data: Path | None = None, quotes: bool = False) -> tuple[str, JobSpec]:
    """A finished job straight in the job history: row i has tone TONES[i % 3] and score i (and,
    with ``quotes``, a verbatim-quote field: "number i" for even rows, an invented quote for odd ones)."""
    spec = JobSpec(
        name="Reviews",
        data=data or home / "missing.csv",
        instructions="Code it.",
        input_template="Review: {body}",
        fields=[FieldSpec("tone", "category", choices=list(TONES)), FieldSpec("score", "integer"),
                FieldSpec("tags", "list")] + ([FieldSpec("quote", "text", verbatim_quote=True)] if quotes else []),
        id_column="rid",
    )
    store = Store(home / "batchlab.sqlite3")
    store.add_job({"id": "job1", "name": "Reviews", "provider": "demo", "model": "demo-model", "endpoint": "chat",
                   "state": "done", "folder": str(home / "jobs" / "job1"), "rows_total": rows})
    store.add_rows("job1", ((f"R{i:06d}", i) for i in range(rows)))
    with store.transaction() as db:
        db.executemany(
            "UPDATE rows SET status = ?, values_json = ? WHERE job_id = 'job1' AND position = ?",
            (
                ("coded" if i % 10 else "refused",
                 json.dumps({"tone": TONES[i % 3], "score": i, "tags": ["price"] if i % 2 else []}
                            | ({"quote": "NUMBER  " + str(i) if i % 2 == 0 else "made-up words"} if quotes else {}))
                 if i % 10 else None,
                 i)
                for i in range(rows)
            ),
        )
    store.close()
    return "job1", spec


def small_data(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "reviews.csv"
    lines = ["rid,body"] + [f"R{i:06d},Review number {i} {'loves the price' if i == 7 else 'is fine'}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rows_are_sorted_filtered_and_searched_with_their_texts(tmp_path: Path, batchlab_home: Path) -> None:
    job_id, spec = fill_job(batchlab_home, 30, small_data(tmp_path, 30))
    rows = JobRows(batchlab_home / "batchlab.sqlite3", job_id, spec)
    assert not rows.texts_ready()
    rows.render_texts()
    first = rows.page(RowQuery(), 0, 2)
    assert [(r.sheet_row, r.row_id, r.text) for r in first] == [
        (2, "R000000", "Review: Review number 0 is fine"),
        (3, "R000001", "Review: Review number 1 is fine"),
    ]
    assert first[1].inputs == {"rid": "R000001", "body": "Review number 1 is fine"}

    assert [r.row_id for r in rows.page(RowQuery(search="LOVES the"), 0, 10)] == ["R000007"]  # in the text
    assert rows.count(RowQuery(search="mixed")) == sum(1 for i in range(30) if i % 10 and i % 3 == 2)  # in answers
    good = rows.page(RowQuery(values={"tone": "good"}), 0, 100)
    assert {r.values["tone"] for r in good} == {"good"} and len(good) == rows.count(RowQuery(values={"tone": "good"}))
    assert rows.count(RowQuery(values={"tags": "price"})) == sum(1 for i in range(30) if i % 10 and i % 2)
    by_score = rows.page(RowQuery(status="coded", sort="score", descending=True), 0, 3)
    assert [r.values["score"] for r in by_score] == [29, 28, 27]
    assert dict(rows.field_values("tone")) == {t: sum(1 for i in range(30) if i % 10 and i % 3 == n)
                                                for n, t in enumerate(TONES)}
    rows.close()


@pytest.fixture
def rows_view(qtbot, batchlab_home: Path, keys: KeyStore) -> RowsView:  # noqa: ANN001
    view = RowsView(JobsController(Engine(batchlab_home, keys)))
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    return view


def test_the_view_reaches_the_last_row_of_a_100k_row_job(qtbot, rows_view: RowsView, batchlab_home: Path) -> None:  # noqa: ANN001
    job_id, spec = fill_job(batchlab_home, 100_000)
    rows_view.show_job(job_id, spec)
    qtbot.waitUntil(lambda: not rows_view.texts_rendering(), timeout=10_000)  # no data copy: no texts
    model, table = rows_view.rows_model, rows_view.rows

    def settled() -> None:  # a large job's queries run in the background
        qtbot.waitUntil(lambda: not model.is_querying(), timeout=10_000)

    settled()
    assert model.rowCount() == 100_000
    assert model.column_titles()[:4] == ["Row", "rid", "Status", "Text"]

    table.setFocus()
    table.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()
    assert table.currentIndex().row() == 99_999
    assert model.index(99_999, 1).data() == "R099999"

    # sorting by a header: the score column, highest first
    score = model.column_titles().index("score")
    table.horizontalHeader().setSortIndicator(score, Qt.SortOrder.DescendingOrder)
    settled()
    assert model.index(0, score).data() == "99999"
    # filter by a field's value, then search within it
    rows_view.field_combo.setCurrentIndex(rows_view.field_combo.findData("tone"))
    rows_view._field_chosen(rows_view.field_combo.currentIndex())
    qtbot.waitUntil(lambda: rows_view.value_combo.count() > 0, timeout=10_000)
    settled()
    chosen = rows_view.value_combo.currentData()
    tone = model.column_titles().index("tone")
    assert model.rowCount() == sum(1 for i in range(100_000) if i % 10 and TONES[i % 3] == chosen)
    assert {model.index(r, tone).data() for r in range(50)} == {chosen}
    rows_view.set_search("R09999")
    settled()
    expected = [i for i in range(99_990, 100_000) if i % 10 and TONES[i % 3] == chosen]
    assert model.rowCount() == len(expected)
    table.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert model.index(table.currentIndex().row(), 1).data() == f"R{min(expected):06d}"  # still highest score first
    rows_view.set_filter("refused")
    settled()
    assert model.rowCount() == 0  # refused rows have no tone


def test_the_row_panel_shows_the_text_and_answer_as_a_form(qtbot, rows_view: RowsView, batchlab_home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    job_id, spec = fill_job(batchlab_home, 30, small_data(tmp_path, 30))
    rows_view.show_job(job_id, spec)
    qtbot.waitUntil(lambda: rows_view.rows_model.index(0, 3).data() == "Review: Review number 0 is fine", timeout=10_000)
    rows_view.rows.selectRow(7)
    assert rows_view.row_detail.row_title.text() == "Row 9 — Coded"
    answer = rows_view.row_detail.answer.text()
    assert "loves the price" in answer and "<b>tone</b>" in answer
    rows_view.inputs_check.setChecked(True)
    assert rows_view.rows_model.column_titles()[-2:] == ["rid", "body"]


def test_quotes_not_found_in_their_texts_are_flagged(qtbot, rows_view: RowsView, batchlab_home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    job_id, spec = fill_job(batchlab_home, 30, small_data(tmp_path, 30), quotes=True)
    rows_view.show_job(job_id, spec)
    model = rows_view.rows_model
    column = model.column_titles().index("quote: quote in text")
    qtbot.waitUntil(lambda: model.index(2, column).data() != "", timeout=10_000)
    # case and runs of spaces do not matter; an invented quote is flagged; a refused row claims nothing
    assert [model.index(i, column).data() for i in range(4)] == ["", "no", "yes", "no"]


def test_raw_responses_are_unfolded() -> None:
    line = json.dumps({"custom_id": "a-1", "response": {"body": {"content": json.dumps({"tone": "good"})}}})
    shown = pretty_json(line)
    assert '"tone": "good"' in shown and shown.count("\n") > 4
