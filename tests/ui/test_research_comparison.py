"""Comparison runs through the screens: a 3-run repeat of the sample project, its agreement, the report.

Only the native Save dialog is stepped over (``save_report`` stands for it). The share of rows on
which all runs agree is recomputed here from the runs' own rows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.core.research.gold_store import GoldStore
from app.core.spec import load_spec
from app.ui.main_window import MainWindow
from app.ui.research.comparison_dialog import ComparisonDialog
from tests.ui.test_full_flow import click, open_job, wait_for, window  # noqa: F401
from tests.ui.test_jobs_window import fast_demo, submit  # noqa: F401
from tests.ui.test_research_validation import SAMPLE_SPEC, STARS, open_tab, sentiment_of


def test_a_three_run_repeat_is_compared_and_reported(qtbot, fast_demo, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001, F811
    controller = window.controller
    job_id = submit(qtbot, controller, load_spec(SAMPLE_SPEC))
    wait_for(qtbot, lambda: (job := controller.job(job_id)) is not None and job.state == "done", 30_000)
    gold = {r: {"sentiment": sentiment_of(r)} for r in list(STARS)[:12]}
    GoldStore(controller.engine.store).save_labels(job_id, "ana", gold, "hand coding")
    open_job(qtbot, window, job_id)
    detail = window.job_detail
    view = detail.research.comparison
    open_tab(qtbot, detail.tabs, view)
    wait_for(qtbot, lambda: "No comparison runs yet" in view.facts.text())

    # New comparison: a repeat, 3 runs, with its cost shown before anything starts
    click(qtbot, view.new_button)
    dialog = next(d for d in view.findChildren(ComparisonDialog) if d.isVisible())
    assert dialog.kind() == "repeat" and dialog.runs.value() == 3
    wait_for(qtbot, dialog.start_button.isEnabled)
    assert dialog.cost.text().startswith("3 runs × 40 rows: about $")
    dialog.set_kind("instructions")
    assert dialog.wording.isVisible() and not dialog.start_button.isEnabled()
    dialog.instructions.setPlainText(dialog.spec.instructions + " Be brief.")
    assert "+" in dialog.diff.toPlainText() and "Be brief." in dialog.diff.toPlainText()
    dialog.set_kind("repeat")
    wait_for(qtbot, dialog.start_button.isEnabled)
    click(qtbot, dialog.start_button)

    # The runs are ordinary jobs the controller sends; once they finish the agreement shows
    wait_for(qtbot, lambda: view.agreement is not None, 60_000)
    runs = view.agreement.runs
    assert runs[0] == job_id and len(runs) == 4
    assert all(controller.job(r).state == "done" for r in runs)
    engine = controller.engine
    answers = [{r.row_id: r.values for r in engine.rows(run) if r.status == "coded"} for run in runs]
    common = [r for r in answers[0] if all(r in a for a in answers[1:])]
    same = sum(len({a[r]["sentiment"] for a in answers}) == 1 for r in common)
    table = view.fields_model
    shown = {table.index(i, 0).data(): [table.index(i, c).data() for c in range(table.columnCount())] for i in range(table.rowCount())}
    assert shown["sentiment"][1] == f"{len(common):,}"
    assert shown["sentiment"][4] == f"{same / len(common):.1%}"
    disagreeing = view.rows_model
    assert disagreeing.columnCount() == 2 + 4
    assert disagreeing.rowCount() == len(view.agreement.disagreements)
    wait_for(qtbot, view.chart.has_figure)

    # Each run against the gold labels, side by side (the Demo answers the same text the same way)
    assert view.gold_box.isVisible()
    gold_table = view.gold_model
    assert [gold_table.headerData(c, Qt.Orientation.Horizontal) for c in range(gold_table.columnCount())] == [
        "Field", "Measure", "This job", "Run 2", "Run 3", "Run 4"
    ]
    accuracy = next(
        [gold_table.index(r, c).data() for c in range(gold_table.columnCount())]
        for r in range(gold_table.rowCount()) if gold_table.index(r, 1).data() == "Accuracy"
    )
    right = sum(answers[0][r]["sentiment"] == g["sentiment"] for r, g in gold.items() if r in answers[0])
    assert accuracy[2:] == [f"{right / sum(r in answers[0] for r in gold):.3f}"] * 4

    # The methods report, as HTML and as Markdown
    for name in ("methods.html", "methods.md"):
        with qtbot.waitSignal(view.report_saved, timeout=30_000):
            view.save_report(tmp_path / name)
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "demo-model" in text and job_id in text
        assert "Krippendorff" in text
    assert "<html" in (tmp_path / "methods.html").read_text(encoding="utf-8").lower()


def test_file_import_restores_a_replication_package_and_opens_it(  # noqa: ANN001
    qtbot, fast_demo, window: MainWindow, tmp_path: Path  # noqa: F811
) -> None:
    from app.core.research.package import write_package
    from tests.ui.test_full_flow import menu_action

    controller = window.controller
    job_id = submit(qtbot, controller, load_spec(SAMPLE_SPEC))
    wait_for(qtbot, lambda: (job := controller.job(job_id)) is not None and job.state == "done", 30_000)
    package = write_package(controller.engine, job_id, tmp_path / "package.zip", with_data=True)
    assert menu_action(window, "&Import…") is not None  # File → Import… asks for this file, then:
    with qtbot.waitSignal(window.importer.imported, timeout=30_000) as imported:
        window.importer.import_package(package)
    restored = imported.args[0]
    assert restored != job_id
    wait_for(qtbot, lambda: window.job_detail.job_id == restored)
    assert window.jobs_stack.currentWidget() is window.job_detail
    before = {(r.row_id, r.status) for r in controller.engine.rows(job_id)}
    assert {(r.row_id, r.status) for r in controller.engine.rows(restored)} == before


def test_file_import_reads_a_downloaded_results_file_into_its_job(  # noqa: ANN001
    qtbot, fast_demo, window: MainWindow, tmp_path: Path  # noqa: F811
) -> None:
    import shutil

    controller = window.controller
    job_id = submit(qtbot, controller, load_spec(SAMPLE_SPEC))
    wait_for(qtbot, lambda: (job := controller.job(job_id)) is not None and job.state == "done", 30_000)
    before = {(r.row_id, r.status, str(r.values)) for r in controller.engine.rows(job_id)}
    output = next(controller.job(job_id).folder.glob("attempt-*/**/output.jsonl"))
    downloaded = shutil.copy(output, tmp_path / "batch_output.jsonl")  # as saved from the provider's console
    with qtbot.waitSignal(window.importer.imported, timeout=30_000) as imported:
        window.importer.import_results(job_id, Path(downloaded))
    assert imported.args[0] == job_id
    wait_for(qtbot, lambda: window.job_detail.job_id == job_id)
    assert {(r.row_id, r.status, str(r.values)) for r in controller.engine.rows(job_id)} == before
    coded = sum(1 for r in before if r[1] == "coded")
    assert controller.engine.events(job_id)[-1][1] == f"Imported batch_output.jsonl: {coded:,} rows read back."
