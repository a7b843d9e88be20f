"""Starter templates: worked examples of common coding tasks that fill instructions, template and fields.

Each starter is only a beginning: people are expected to rewrite the instructions for their own
study (what the categories mean in *their* data, how to treat unclear cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.core.spec import FieldSpec

if TYPE_CHECKING:  # only a type here: importing pandas would slow the wizard's first steps
    import pandas as pd


@dataclass(frozen=True)
class Starter:
    """A ready-made task: instructions, a row template for one text column, and suggested fields."""

    key: str
    title: str
    summary: str
    instructions: str
    template: str  # uses {text} for the column holding the texts
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    def row_template(self, text_column: str | None) -> str:
        """The template with ``{text}`` pointing at the chosen column (left as {text} without one)."""
        if not text_column:
            return self.template
        return self.template.replace("{text}", "{" + text_column + "}")

    def suggested_fields(self) -> list[FieldSpec]:
        return [FieldSpec(**vars(f)) for f in self.fields]


STARTERS: tuple[Starter, ...] = (
    Starter(
        key="sentiment",
        title="Sentiment",
        summary="Is each text positive, neutral or negative, and how sure is the model?",
        instructions=(
            "You are coding texts for a research project on public opinion.\n"
            "Read the text and decide its overall sentiment:\n"
            "- positive: the author is mainly pleased, approving or hopeful;\n"
            "- negative: the author is mainly displeased, critical or worried;\n"
            "- neutral: neither, or a balanced mix, or no opinion at all.\n"
            "Judge only what the author says, not what you think about the topic. "
            "Give your confidence from 0 (a guess) to 1 (certain)."
        ),
        template="Text: {text}",
        fields=(
            FieldSpec("sentiment", "category", "overall tone of the text", ["positive", "neutral", "negative"]),
            FieldSpec("confidence", "number", "how sure you are, from 0 to 1", minimum=0, maximum=1),
        ),
    ),
    Starter(
        key="topic",
        title="Topic classification",
        summary="Which topic is each text mainly about? Edit the list of topics for your study.",
        instructions=(
            "You are coding texts for a research project. Decide which one topic the text is mainly about.\n"
            "Topics:\n"
            "- economy: jobs, prices, taxes, business;\n"
            "- health: illness, care, hospitals, public health;\n"
            "- education: schools, universities, teaching;\n"
            "- environment: climate, pollution, nature, energy;\n"
            "- other: none of the above.\n"
            "Also list every topic the text mentions at all."
        ),
        template="Text: {text}",
        fields=(
            FieldSpec(
                "main_topic",
                "category",
                "the one topic the text is mainly about",
                ["economy", "health", "education", "environment", "other"],
            ),
            FieldSpec(
                "all_topics",
                "list",
                "every topic the text mentions",
                ["economy", "health", "education", "environment", "other"],
            ),
        ),
    ),
    Starter(
        key="stance",
        title="Stance",
        summary="Is each text for or against a position? Name the position in the instructions.",
        instructions=(
            "You are coding texts for a research project on political debate.\n"
            "The position is: “The government should raise the minimum wage.” (replace with yours)\n"
            "Decide the author's stance towards this position:\n"
            "- favor: the author supports it;\n"
            "- against: the author opposes it;\n"
            "- neutral: the author discusses it without taking a side;\n"
            "- unrelated: the text is not about it.\n"
            "Quote the shortest passage that shows the stance (empty if unrelated)."
        ),
        template="Text: {text}",
        fields=(
            FieldSpec("stance", "category", "the author's stance", ["favor", "against", "neutral", "unrelated"]),
            FieldSpec("evidence", "text", "shortest quote that shows the stance, copied exactly"),
        ),
    ),
    Starter(
        key="extraction",
        title="Information extraction",
        summary="Pull facts out of each text: people, organisations, places, and a short summary.",
        instructions=(
            "You are extracting information from texts for a research database.\n"
            "From the text, list the people, organisations and places it names, exactly as written. "
            "Say whether the text reports a specific event, and summarise it in one sentence.\n"
            "If something is not in the text, give an empty list; never invent names."
        ),
        template="Text: {text}",
        fields=(
            FieldSpec("people", "list", "names of people mentioned"),
            FieldSpec("organisations", "list", "names of organisations mentioned"),
            FieldSpec("places", "list", "places mentioned"),
            FieldSpec("reports_event", "boolean", "does the text report a specific event?"),
            FieldSpec("summary", "text", "one-sentence summary"),
        ),
    ),
)


def starter(key: str) -> Starter:
    """The starter with this key (KeyError when there is none)."""
    for item in STARTERS:
        if item.key == key:
            return item
    raise KeyError(key)


def guess_text_column(frame: pd.DataFrame | None, sample: int = 200) -> str | None:
    """The column most likely to hold the texts: the longest cells on average in the first rows."""
    if frame is None or not len(frame.columns):
        return None
    head = frame.head(sample)
    best, best_length = None, -1.0
    for column in head.columns:
        try:
            length = float(head[column].astype("str").str.len().mean())
        except (TypeError, ValueError):
            continue
        if length != length:  # NaN: an empty frame
            length = 0.0
        if length > best_length:
            best, best_length = str(column), length
    return best


def starter_titles(items: Sequence[Starter] = STARTERS) -> list[str]:
    return [s.title for s in items]
