"""Row templates: placeholders, literal braces, missing columns, non-ASCII and very long cells."""

from __future__ import annotations

from app.core.build.template import check_placeholders, parse_template, placeholders

COLUMNS = ["title", "body", "Review text", "année"]


def render(text: str, row: dict[str, str]) -> str:
    template = parse_template(text, COLUMNS)
    return template.render([row[c] for c in template.columns])


def test_placeholders_are_filled() -> None:
    assert render("Title: {title}\nReview: {body}", {"title": "Hi", "body": "Good"}) == "Title: Hi\nReview: Good"


def test_literal_braces_stay_literal() -> None:
    text = 'Answer as {"x": 1}. Use {{title}} literally, a lone { or } stays. {title}'
    assert render(text, {"title": "T"}) == 'Answer as {"x": 1}. Use {title} literally, a lone { or } stays. T'
    assert placeholders(text) == ["title"]
    assert render("{ }", {}) == "{ }"


def test_columns_with_spaces_and_non_ascii() -> None:
    assert render("{Review text} / {année}", {"Review text": "Très bien ✓", "année": "2024"}) == "Très bien ✓ / 2024"


def test_values_are_never_reinterpreted() -> None:
    tricky = "{body} {{x}} %s \\n"
    assert render("{title}", {"title": tricky}) == tricky


def test_very_long_cells() -> None:
    long = "word " * 200_000
    assert render("<{body}>", {"body": long}) == f"<{long}>"


def test_missing_columns_are_reported_with_a_suggestion() -> None:
    problems = check_placeholders("{titel} and {summary} and {body}", COLUMNS)
    assert len(problems) == 2
    assert 'no column "titel"' in problems[0] and 'Did you mean "{title}"' in problems[0]
    assert 'no column "summary"' in problems[1] and "The columns are: title, body" in problems[1]
    assert check_placeholders("{title} {{literal}}", COLUMNS) == []


def test_render_rows_lazily() -> None:
    template = parse_template("{title}: {body}", COLUMNS)
    rows = template.render_rows({"title": ["a", "b"], "body": ["1", "2"]})
    assert list(rows) == ["a: 1", "b: 2"]
    constant = parse_template("same", COLUMNS)
    assert list(constant.render_rows({"title": ["a", "b"]})) == ["same", "same"]
