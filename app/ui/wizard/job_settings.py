"""The job's settings as the wizard's pages hold them, read out as a spec or a draft and put back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.drafts import Draft, work_of
from app.core.errors import SpecError
from app.core.spec import JobSpec, parse_spec
from app.ui.wizard.steps import FIELDS, INSTRUCTIONS, MODEL, REVIEW

if TYPE_CHECKING:
    from app.core.build.starters import Starter
    from app.ui.pages.review import ReviewPage
    from app.ui.wizard.step_pages import StepPages


class JobSettings:
    """Reads every page into the spec's JSON form, a checked spec or a draft; fills (or empties)
    the pages from one; keeps the job's name until the Review step that shows it exists; and knows
    whether the work differs from the spec file it was last opened from or saved to.

    Its own class so that the wizard keeps to framing the steps and moving between them, while the
    reading and the filling of every page stand side by side here, where they are easy to keep in step.
    """

    def __init__(self, pages: StepPages) -> None:
        self._pages = pages
        self._starter: Starter | None = None
        self._default_name = ""  # the job's name while the person has not typed one
        self._typed_name = ""  # a name given before the Review step was built (a draft's, say)
        #: The work as last opened from or saved to a spec file (None: never saved).
        self._baseline: dict[str, Any] | None = None
        self.saved_to: Path | None = None

    # ---- the job's name --------------------------------------------------------------------
    def show_name_on(self, review: ReviewPage) -> None:
        """The Review step was just built: it shows the name kept so far."""
        review.set_default_name(self._default_name)
        review.set_job_name(self._typed_name)

    def apply_starter(self, starter: Starter) -> None:
        """A starter was applied on the Instructions step: its fields, and a name that says it."""
        self._starter = starter
        self._pages.fields.set_fields(starter.suggested_fields())
        self.update_default_name()

    def update_default_name(self) -> None:
        """The name a job gets when none is typed: the file's, and the starter's title."""
        table = self._pages.data_page.table
        stem = table.path.stem if table is not None else "New job"
        self._default_name = f"{stem} – {self._starter.title.lower()}" if self._starter else stem
        if self._pages.built(REVIEW):
            self._pages.review.set_default_name(self._default_name)

    def _job_name(self) -> str:
        """The name typed on the Review step, or the default one."""
        if self._pages.built(REVIEW):
            return self._pages.review.job_name()
        return self._typed_name.strip() or self._default_name

    def _set_job_name(self, name: str) -> None:
        if self._pages.built(REVIEW):
            self._pages.review.set_job_name(name)
        else:
            self._typed_name = name

    # ---- reading the pages -----------------------------------------------------------------
    def spec_dict(self) -> dict[str, Any]:
        """The job's settings in the spec's JSON form, as the pages show them now."""
        pages, data_page = self._pages, self._pages.data_page
        table = data_page.table
        return {
            "name": self._job_name() or (table.path.stem if table else "New job"),
            "data": str(table.path.absolute()) if table is not None else "",
            "sheet": table.sheet if table is not None else None,
            "id_column": data_page.id_column(),
            "instructions": pages.instructions.instructions(),
            "input_template": pages.instructions.template(),
            "fields": [f.to_dict() for f in pages.fields.fields()],
            **pages.model.spec_part(),
            # how to read the data, where the person chose it (None: detected the same way again)
            "encoding": data_page.options.encoding,
            "delimiter": data_page.options.delimiter,
            "header_row": data_page.options.header_row,
        }

    def build_spec(self) -> tuple[JobSpec | None, list[str]]:
        """The job as a checked spec, or None and what is missing or wrong."""
        problems = self._pages.problems()
        if problems:
            return None, problems
        table = self._pages.data_page.table
        assert table is not None
        try:
            spec = parse_spec(self.spec_dict(), table.path.absolute().parent)
        except SpecError as exc:
            return None, exc.problems
        return spec, []

    def draft(self, step: int) -> Draft:
        """The work as it stands at ``step``, for the draft file (the data file counts from the
        moment it is chosen, before it has loaded)."""
        spec = self.spec_dict()
        path, sheet, id_column = self._pages.data_page.chosen()
        spec.update(data=str(path) if path else "", sheet=sheet, id_column=id_column)
        return Draft(spec, step, str(self.saved_to) if self.saved_to else None)

    # ---- filling the pages -----------------------------------------------------------------
    def fill(self, draft: Draft) -> None:
        """Fill every page from a draft, which may be incomplete; the data loads in the background."""
        pages, raw = self._pages, draft.spec
        pages.instructions.set_texts(str(raw.get("instructions") or ""), str(raw.get("input_template") or ""))
        pages.fields.set_fields(draft.fields())
        pages.fields.forget_history()
        pages.model.fill(raw)
        if raw.get("name"):
            self._set_job_name(raw["name"])
        if raw.get("data"):
            from app.core.data import LoadOptions

            options = LoadOptions(raw.get("encoding"), raw.get("delimiter"), raw.get("header_row"))
            pages.data_page.load_file(Path(raw["data"]), raw.get("sheet"), raw.get("id_column"), options)
        self.saved_to = Path(draft.saved_to) if draft.saved_to else None
        self._baseline = None

    def clear(self) -> None:
        """Every page that was built back to empty, and nothing saved."""
        pages = self._pages
        self._starter = None
        pages.data_page.clear()
        if pages.built(INSTRUCTIONS):
            pages.instructions.set_table(None)
            pages.instructions.set_texts("", "")
        if pages.built(FIELDS):
            pages.fields.set_fields([])
            pages.fields.forget_history()
            pages.fields.import_panel.clear()
        if pages.built(MODEL):
            pages.model.reset()
        if pages.built(REVIEW):
            pages.review.clear()
        self._default_name = self._typed_name = ""
        self.saved_to = None
        self._baseline = None

    # ---- saved or not ----------------------------------------------------------------------
    def has_unsaved_work(self, step: int) -> bool:
        """Whether leaving now would lose something: there is work, and it differs from the saved spec."""
        pages = self._pages
        if not (pages.built(INSTRUCTIONS) or pages.built(FIELDS) or pages.data_page.chosen()[0]):
            return False  # no data chosen, and the steps that hold typed work were never opened
        draft = self.draft(step)
        return draft.has_work() and work_of(draft.spec) != self._baseline

    def mark_saved(self, path: Path | None, raw: dict[str, Any]) -> None:
        """The settings ``raw`` are what the spec file ``path`` holds: leaving them unchanged loses nothing."""
        self.saved_to = Path(path) if path else None
        self._baseline = work_of(raw)

