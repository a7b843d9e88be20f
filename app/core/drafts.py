"""The job being drafted in the New-job wizard, kept in the data folder so no work is lost.

A draft is the spec's own JSON form (possibly incomplete: no data yet, no fields yet) plus where
the wizard was. It is written atomically on every change, so a crash or a closed window leaves the
last complete version behind, and read leniently, because an unfinished spec is the normal case.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.paths import data_home
from app.core.errors import SpecError
from app.core.spec import FIELD_TYPES, FieldSpec, load_spec, parse_spec

DRAFT_FILE = "draft.json"
RECENT_LIMIT = 8
#: The spec keys that hold the person's own work; a draft without any of them is not worth keeping.
_WORK_KEYS = ("data", "instructions", "input_template", "fields")


@dataclass
class Draft:
    """A spec in the making and the wizard's place in it."""

    spec: dict[str, Any]
    step: int = 0
    #: The job spec file this draft was last opened from or saved to, if any.
    saved_to: str | None = None

    def has_work(self) -> bool:
        """Whether the draft holds anything a person typed or chose."""
        return any(self.spec.get(key) for key in _WORK_KEYS)

    def fields(self) -> list[FieldSpec]:
        """The draft's output fields; a field too broken to read is left out rather than failing."""
        found = []
        for raw in self.spec.get("fields") or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
                continue
            kind = raw.get("type") if raw.get("type") in FIELD_TYPES else "category"
            choices = raw.get("choices") if isinstance(raw.get("choices"), list) else []
            found.append(
                FieldSpec(
                    name=raw["name"],
                    type=kind,
                    description=str(raw.get("description") or ""),
                    choices=[str(c) for c in choices],
                    minimum=_number(raw.get("minimum")),
                    maximum=_number(raw.get("maximum")),
                )
            )
        return found


def work_of(spec: dict[str, Any]) -> dict[str, Any]:
    """The parts of a spec that are the person's work, in a form that compares equal when unchanged
    (the wizard asks before leaving work that differs from the spec file it was saved to)."""
    data = spec.get("data")
    return {
        "data": str(Path(data).expanduser().absolute()) if data else "",
        "instructions": spec.get("instructions") or "",
        "input_template": spec.get("input_template") or "",
        "fields": spec.get("fields") or [],
        "provider": spec.get("provider"),
        "model": spec.get("model"),
    }


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class DraftStore:
    """Reads and writes the one draft file of a data folder."""

    def __init__(self, home: Path | None = None) -> None:
        self.path = (Path(home) if home is not None else data_home()) / DRAFT_FILE

    def save(self, draft: Draft) -> None:
        """Write the draft atomically (a half-written file never replaces a good one)."""
        record = {"spec": draft.spec, "step": draft.step, "saved_to": draft.saved_to}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)

    def load(self) -> Draft | None:
        """The saved draft, or None when there is none or it cannot be read (it is then ignored)."""
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or not isinstance(record.get("spec"), dict):
            return None
        step, saved_to = record.get("step"), record.get("saved_to")
        return Draft(
            spec=record["spec"],
            step=step if isinstance(step, int) else 0,
            saved_to=saved_to if isinstance(saved_to, str) else None,
        )

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def remember_recent(recent: Sequence[str], path: str, limit: int = RECENT_LIMIT) -> list[str]:
    """The recent-files list with ``path`` first, without duplicates, at most ``limit`` long."""
    return [path, *(p for p in recent if p != path)][:limit]


def write_spec_file(spec: dict[str, Any], path: Path) -> list[str]:
    """Save the wizard's spec as a job spec file the command line runs; returns what is still missing.

    A complete spec is written exactly as :meth:`JobSpec.save` writes it. An unfinished one is
    written as it stands (the data path relative to the file, as there), so nothing is lost, and
    its problems are returned so the person can be told the file will not run yet.
    """
    path = Path(path)
    folder = path.parent.resolve()
    try:
        parse_spec(spec, folder).save(path)
        return []
    except SpecError as exc:
        problems = exc.problems
    raw = dict(spec)
    if raw.get("data"):
        data = Path(raw["data"])
        raw["data"] = str(data.relative_to(folder)) if data.is_relative_to(folder) else str(data)
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return problems


def read_spec_file(path: Path) -> tuple[dict[str, Any], list[str]]:
    """A job spec file's settings (data path made absolute) and its problems, if it is unfinished.

    Raises SpecError only when the file is no spec at all (missing, not JSON, not an object)."""
    path = Path(path)
    try:
        return load_spec(path).to_dict(), []
    except SpecError as exc:
        problems = exc.problems
        try:
            raw = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            raise exc from None
    if not isinstance(raw, dict):
        raise SpecError(["The spec file does not hold job settings (a JSON object)."], path.name)
    if isinstance(raw.get("data"), str) and raw["data"]:
        raw["data"] = str((path.parent.resolve() / Path(raw["data"]).expanduser()).absolute())
    return raw, problems
