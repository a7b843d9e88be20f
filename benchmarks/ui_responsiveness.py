"""Benchmark: does the window stay responsive while big work runs? Event-loop stalls, offscreen.

    python benchmarks/ui_responsiveness.py [--job-rows 100000] [--load-rows 1000000] [--profile]

A 5 ms QTimer on the UI thread records when it actually fires; the gap between two ticks is time
in which the window could not repaint or react (a "stall"). For the longest stalls it also shows
how much of that time the UI thread itself spent on the CPU: little means it was not busy but
waiting (for the GIL, held by a background thread). Everything goes through the real GUI path:

(a) a demo job of --job-rows rows in a visible MainWindow. The wizard loads and checks the data
    and the Review step estimates it (its own line), then Submit is clicked and the job is
    prepared, submitted, polled and parsed while the Jobs view shows it, until it is Done.
    It runs twice: with the Demo provider (its simulated batch service is a child process the app
    starts), and as "OpenAI" against a simulated service the benchmark starts itself; either way
    only BatchLab's own work is in the app's process, as with a real provider.
(b) the wizard is asked to load a --load-rows CSV: the time until its table view holds every row
    and has painted them, and the longest stall meanwhile.

CSVs are generated as benchmarks/prepare.py does (survey answers of realistic length). Everything
lives in a temporary folder: BATCHLAB_HOME, the settings (QSettings) and an in-memory keyring.
Targets: no stall over 50 ms; the 1M-row table visible within 3 s. ``--profile`` also samples
every thread's Python stack each millisecond and prints what they were doing around each long
stall (it costs GIL time itself, so the figures are a little worse with it).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STALL_TARGET_MS = 50.0
VISIBLE_TARGET_S = 3.0
TICK_MS = 5
SERVICE_KEY = "simulated-service-benchmark-key"


# ---- measuring -------------------------------------------------------------------------------------


class StallMeter:
    """Records when a 5 ms timer on the UI thread fired, and the UI thread's own CPU time then."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.cpu: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.cpu.append(time.thread_time())

    def start(self) -> None:
        self.tick()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.tick()

    def _gaps(self, start: float, end: float) -> list[tuple[float, float, float]]:
        """(gap ms, gap start, UI thread CPU ms during it) for the ticks between ``start`` and ``end``."""
        return [
            ((self.ticks[i] - self.ticks[i - 1]) * 1000, self.ticks[i - 1], (self.cpu[i] - self.cpu[i - 1]) * 1000)
            for i in range(1, len(self.ticks))
            if start <= self.ticks[i - 1] and self.ticks[i] <= end
        ]

    def summary(self, start: float, end: float) -> dict[str, Any]:
        gaps = self._gaps(start, end)
        ms = sorted(g for g, _, _ in gaps) or [0.0]
        worst = sorted((g for g in gaps if g[0] > STALL_TARGET_MS), reverse=True)
        return {"max": ms[-1], "p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))], "ticks": len(gaps), "worst": worst}


class Sampler(threading.Thread):
    """Every thread's Python stack, each millisecond (--profile only).

    When another thread holds the GIL in C code no sample can be taken; the first sample after a
    stall then shows where that thread was when it let go.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.main = threading.main_thread().ident
        self.samples: list[tuple[float, dict[int, tuple[str, ...]]]] = []
        self.running = True

    def run(self) -> None:
        me = threading.get_ident()
        while self.running:
            stacks = {}
            for ident, frame in sys._current_frames().items():  # noqa: SLF001 - the point of a sampler
                if ident == me:
                    continue
                stack = []
                while frame is not None and len(stack) < 30:
                    stack.append(f"{_short(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}")
                    frame = frame.f_back
                stacks[ident] = tuple(stack)
            self.samples.append((time.perf_counter(), stacks))
            time.sleep(0.001)

    def report(self, ms: float, begin: float) -> None:
        end = begin + ms / 1000
        inside = [stacks for t, stacks in self.samples if begin <= t <= end]
        ui = Counter(_where(stacks.get(self.main, ())) for stacks in inside)
        seen = "; ".join(f"{n}× {where}" for where, n in ui.most_common(2)) or "no sample (the GIL was held throughout)"
        print(f"      {ms:.0f} ms stall, {len(inside)} samples inside; UI thread: {seen}")
        after = next((stacks for t, stacks in self.samples if t > end - 0.001), {})
        for ident, stack in after.items():
            if ident != self.main and stack and not stack[0].endswith(("wait", "select", "poll", "accept", "sleep")):
                print(f"        thread {ident % 100000:05d} after it: {_where(stack)}  <- {' <- '.join(stack[1:3])}")


def _short(filename: str) -> str:
    path = Path(filename)
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return "/".join(path.parts[-2:])


def _where(stack: tuple[str, ...]) -> str:
    """The innermost frame, and the innermost frame of BatchLab's own code when that is another."""
    if not stack:
        return "(outside Python)"
    ours = next((f for f in stack if f.startswith("app/")), None)
    return stack[0] if ours in (None, stack[0]) else f"{stack[0]} (in {ours})"


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the event loop until ``condition()`` holds (checked every 10 ms)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    if not condition():
        raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def report_stalls(label: str, meter: StallMeter, start: float, end: float, sampler: Sampler | None) -> float:
    s = meter.summary(start, end)
    verdict = "ok" if s["max"] <= STALL_TARGET_MS else "OVER"
    print(f"    {label}: longest stall {s['max']:.0f} ms [{verdict}; target ≤ {STALL_TARGET_MS:.0f} ms], "
          f"p99 {s['p99']:.0f} ms, {len(s['worst'])} of {s['ticks']:,} gaps over {STALL_TARGET_MS:.0f} ms")
    if s["worst"]:
        print("      longest (of which the UI thread's own CPU time): "
              + ", ".join(f"{ms:.0f} ms at +{b - start:.1f} s ({cpu:.0f} ms)" for ms, b, cpu in s["worst"][:5]))
    if sampler is not None:
        for ms, begin, _ in s["worst"][:5]:
            sampler.report(ms, begin)
    return s["max"]


# ---- the app ---------------------------------------------------------------------------------------


def isolate(folder: Path, step_seconds: float) -> None:
    """A private data folder, fast demo steps, no provider settings from the environment."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["BATCHLAB_HOME"] = str(folder / "home")
    os.environ["BATCHLAB_DEMO_STEP_SECONDS"] = str(step_seconds)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        os.environ.pop(name, None)


def make_app(settings_folder: Path) -> Any:
    """The QApplication with the app's look and thread pool; QSettings kept in ``settings_folder``."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.ui.main import configure

    app = QApplication.instance() or QApplication([sys.argv[0]])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(settings_folder))
    configure(app)
    return app


def open_window(poll_seconds: float, api_key: str | None = None) -> Any:
    """A MainWindow over a JobsController, opened as run_gui does (window first, then the controller)."""
    from app.core.run.engine import Engine
    from app.core.keys import KeyStore, MemoryKeyring
    from app.ui.jobs_controller import JobsController
    from app.ui.main_window import MainWindow

    keys = KeyStore(MemoryKeyring())
    if api_key:
        keys.set("openai", api_key)
    controller = JobsController(Engine(Path(os.environ["BATCHLAB_HOME"]), keys, poll_interval=poll_seconds))
    window = MainWindow(controller)
    window.resize(1200, 800)
    window.show()
    gc.freeze()  # as run_gui does
    controller.start()
    wait_until(window.isVisible, 10, "the window")
    return window


def close_window(window: Any) -> None:
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QMessageBox

    # the wizard holds an unsaved job: answer "Discard" where the window would ask (offscreen, no one can)
    window.spec_files.ask_about_draft = lambda: QMessageBox.StandardButton.Discard
    window.wizard.cancel_work()
    window.controller.shutdown()
    window.close()
    QThreadPool.globalInstance().waitForDone(60_000)
    window.deleteLater()


def start_service_process(step_seconds: float) -> tuple[subprocess.Popen[str], str]:
    """BatchLab's simulated batch service in a child process; its base URL."""
    code = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from app.core.simulator import Scenario, SimulatedService\n"
        "service = SimulatedService(scenario=Scenario(progress='time', seconds_per_step=%r), api_key=%r)\n"
        "print(service.start(), flush=True)\n"
        "time.sleep(86400)\n"
    ) % (str(ROOT), step_seconds, SERVICE_KEY)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


# ---- (a) a whole job ---------------------------------------------------------------------------------


def job_scenario(folder: Path, data: Path, service: str, poll_seconds: float, sampler: Sampler | None) -> dict[str, float]:
    from app.core.run.providers.demo import stop_demo_services
    from app.core.spec import parse_spec
    from benchmarks.prepare import spec_dict

    child = None
    try:
        if service == "inside":
            spec = parse_spec(spec_dict(data) | {"name": "responsiveness", "provider": "demo", "model": "demo-model"}, folder)
            where, key = "Demo provider: its simulated service is a child process of the app", None
        else:
            child, url = start_service_process(float(os.environ["BATCHLAB_DEMO_STEP_SECONDS"]))
            os.environ["OPENAI_BASE_URL"] = url + "/v1"
            spec = parse_spec(spec_dict(data) | {"name": "responsiveness"}, folder)
            where, key = "OpenAI provider: a simulated service started by the benchmark", SERVICE_KEY
        window = open_window(poll_seconds, key)
        wizard, controller = window.wizard, window.controller
        meter = StallMeter()
        meter.start()

        # Duplicate a saved spec: the data loads and is checked; Review builds the preview and estimate.
        t0 = time.perf_counter()
        wizard.load_spec(spec)
        wait_until(lambda: wizard.table is not None and not wizard.is_busy() and not wizard.problems(), 600, "the data")
        wizard.step_buttons[4].click()
        review = wizard.review_page
        wait_until(lambda: review.manifest is not None and review.requests is not None, 600, "the estimate")
        t1 = time.perf_counter()
        if review.consent.check.isVisible() and not review.consent.check.isChecked():
            review.consent.check.click()  # "I understand my texts will be sent to OpenAI"

        # Submit and follow the job in the Jobs view until it is Done.
        finished: list[float] = []
        controller.job_finished.connect(lambda _id: finished.append(time.perf_counter()))
        t2 = time.perf_counter()
        review.submit_button.click()
        wait_until(lambda: bool(finished), 1800, "the job to finish")
        t3 = finished[0]
        meter.stop()
        view = window.jobs_view
        job = view.selected_job()
        shown = view.proxy.index(0, 3).data()

        print(f"(a) {job.rows_total:,}-row job ({data.stat().st_size / 1e6:,.0f} MB CSV, {spec.rows_per_request} rows "
              f"per request), {where}")
        print(f"  wizard: load + check + Review preview and estimate: {t1 - t0:.2f} s")
        report_stalls("stalls", meter, t0, t1, sampler)
        print(f"  job: Submit → Done (prepare, submit, poll, parse): {t3 - t2:.2f} s wall; the Jobs view says "
              f"{shown!r}, {job.status_counts.get('coded', 0):,} rows coded (poll every {poll_seconds:g} s, "
              f"simulated steps of {os.environ['BATCHLAB_DEMO_STEP_SECONDS']} s)")
        stall = report_stalls("stalls", meter, t2, t3, sampler)
        close_window(window)
        return {"wizard_s": t1 - t0, "job_s": t3 - t2, "stall_ms": stall, "p99_ms": meter.summary(t2, t3)["p99"]}
    finally:
        stop_demo_services()
        if child is not None:
            child.terminate()
            child.wait(10)
            os.environ.pop("OPENAI_BASE_URL", None)


# ---- (b) a million rows into the Data step ----------------------------------------------------------


def load_scenario(folder: Path, rows: int, sampler: Sampler | None) -> dict[str, float]:
    from PySide6.QtCore import QEvent, QObject, QTimer

    from benchmarks.prepare import make_csv

    data = folder / "load.csv"
    make_csv(data, rows)
    window = open_window(30.0)
    page = window.wizard.data_page
    view, model = page.view, page.model
    read: list[float] = []
    painted: list[float] = []
    page.table_loaded.connect(lambda _table: read.append(time.perf_counter()))

    class PaintWatch(QObject):
        """Notes when the table view has finished a paint while it holds every row."""

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and model.rowCount() == rows and not painted:
                QTimer.singleShot(0, lambda: painted or painted.append(time.perf_counter()))  # after the paint
            return False

    watch = PaintWatch()
    view.viewport().installEventFilter(watch)
    meter = StallMeter()
    meter.start()
    wait_until(lambda: len(meter.ticks) > 20, 5, "the meter")

    t0 = time.perf_counter()
    window.wizard.load_file(data)
    wait_until(lambda: bool(painted), 600, "the table to show the rows")
    first = model.index(0, 0).data()
    wait_until(lambda: page.issues() is not None, 600, "the data check")
    t2 = time.perf_counter()
    meter.stop()
    view.viewport().removeEventFilter(watch)
    t1 = painted[0]

    verdict = "ok" if t1 - t0 <= VISIBLE_TARGET_S else "OVER"
    print(f"(b) the wizard loads a {rows:,}-row CSV ({data.stat().st_size / 1e6:,.0f} MB)")
    print(f"  asked → table view painted with every row: {t1 - t0:.2f} s [{verdict}; target ≤ {VISIBLE_TARGET_S:.0f} s] "
          f"(file read in the background {read[0] - t0:.2f} s, then shown {t1 - read[0]:.2f} s); rowCount "
          f"{model.rowCount():,}, first cell {first!r}")
    stall = report_stalls("stalls until shown", meter, t0, t1, sampler)
    print(f"  … and the data check (a background task) done: {t2 - t0:.2f} s")
    report_stalls("stalls until checked", meter, t0, t2, sampler)
    close_window(window)
    return {"visible_s": t1 - t0, "stall_ms": stall, "p99_ms": meter.summary(t0, t1)["p99"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job-rows", type=int, default=100_000, help="rows of the job in (a)")
    parser.add_argument("--load-rows", type=int, default=1_000_000, help="rows of the CSV loaded in (b)")
    parser.add_argument("--poll", type=float, default=0.2, help="seconds between polls of the job")
    parser.add_argument("--step", type=float, default=0.2, help="BATCHLAB_DEMO_STEP_SECONDS (and the separate service's)")
    parser.add_argument("--only", choices=("job", "load"), help="run one scenario")
    parser.add_argument("--service", choices=("inside", "process", "both"), default="both",
                        help="(a) with the Demo service inside the app, in its own process, or both")
    parser.add_argument("--profile", action="store_true", help="sample every thread and explain the long stalls")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="batchlab-ui-bench-") as tmp:
        folder = Path(tmp)
        isolate(folder, args.step)
        app = make_app(folder / "settings")
        sampler = Sampler() if args.profile else None
        if sampler is not None:
            sampler.start()
        print(f"Python {sys.version.split()[0]}, Qt platform {app.platformName()}, {os.cpu_count()} CPUs; "
              f"a {TICK_MS} ms timer on the UI thread")
        results: dict[str, dict[str, float]] = {}
        try:
            if args.only in (None, "job"):
                from benchmarks.prepare import make_csv

                data = folder / "job.csv"
                make_csv(data, args.job_rows)
                for service in ("inside", "process") if args.service == "both" else (args.service,):
                    results[f"job, service {service}"] = job_scenario(folder, data, service, args.poll, sampler)
            if args.only in (None, "load"):
                results["1M-row load"] = load_scenario(folder, args.load_rows, sampler)
        finally:
            if sampler is not None:
                sampler.running = False
        print("summary (targets: stall ≤ 50 ms, visible ≤ 3 s):")
        for name, r in results.items():
            figures = [f"longest stall {r['stall_ms']:.0f} ms", f"p99 {r['p99_ms']:.0f} ms"]
            figures.append(f"job {r['job_s']:.1f} s" if "job_s" in r else f"visible {r['visible_s']:.2f} s")
            print(f"  {name:<22} " + ", ".join(figures))


if __name__ == "__main__":
    main()
