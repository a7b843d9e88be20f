"""What the Data step's check found, in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.ui.common import MessagePanel

if TYPE_CHECKING:
    from app.core.data import DataIssue


class DataFindings(MessagePanel):
    """The check's findings ranked for the person: a doubt about how the file was read comes first
    (the other findings may follow from it), then what must be fixed to go on, then what is worth a
    look; or, when nothing was found, what was checked."""

    def show_checking(self) -> None:
        self.show_messages("info", ["Checking the data…"])

    def show_findings(self, issues: Sequence[DataIssue], doubts: Sequence[str], texts_checked: bool) -> None:
        """``doubts``: why the file's layout may have been guessed wrongly; ``texts_checked``:
        whether the row template's columns were checked for blank texts too."""
        blocking = [i.message for i in issues if i.blocking]
        others = [i.message for i in issues if not i.blocking]
        if doubts and not blocking:
            self.show_messages(
                "warning", [*doubts, *others], "Please check the table below: the file may have been read wrongly"
            )
        elif blocking:
            self.show_messages("error", blocking + others, "Fix these problems in the data to go on")
        elif others:
            self.show_messages("warning", others, "Please check (you can still go on)")
        else:
            what = "every row has its own ID"
            if texts_checked:
                what += " and a text to code"
            self.show_messages("ok", [f"No problems found: {what}."])
