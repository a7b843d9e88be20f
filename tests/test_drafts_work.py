"""What counts as a person's work when the wizard asks whether leaving would lose something."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.drafts import work_of


def test_work_compares_equal_when_only_its_form_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    saved = {"data": str(tmp_path / "answers.csv"), "instructions": "Code the tone.", "fields": [], "model": "m"}
    typed = {"data": "answers.csv", "instructions": "Code the tone.", "input_template": None, "model": "m",
             "rows_per_request": 5}  # a relative path, a blank template, settings that are not work
    assert work_of(typed) == work_of(saved)


def test_a_changed_instruction_or_model_is_work_to_keep() -> None:
    saved = {"data": "", "instructions": "Code the tone.", "provider": "openai", "model": "gpt-5.4-mini"}
    assert work_of({**saved, "instructions": "Code the tone and topic."}) != work_of(saved)
    assert work_of({**saved, "model": "gpt-5.4"}) != work_of(saved)
