"""Benchmark: input tokens each row costs beyond its own text, before and after automatic rows per
request and the compact row format (issue 11, target: at most 25 at the defaults).

    python benchmarks/row_overhead.py

For the sample project (examples/reviews-openai.json with rows_per_request left out, i.e. at the
defaults) and the same project with a ~1,000-token codebook as instructions, and for three models,
it prints the rows per request "auto" chooses and the overhead per row: at one row per request
(the old default), at five, and at the new defaults. It also measures the framing each row format
adds per row on real texts (the message's tokens minus the texts' own), on the sample reviews and
on texts full of quotes, line breaks and lines that look like row markers, which is the evidence
for the default row format (docs/requests.md).
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.build.requests import OVERHEAD_TARGET, RequestBuilder  # noqa: E402
from app.core.build.rowformat import ROW_FORMATS, RowInput  # noqa: E402
from app.core.build.tokens import token_counter  # noqa: E402
from app.core.spec import JobSpec, parse_spec  # noqa: E402

MODELS = (("openai", "gpt-5.4-mini"), ("anthropic", "claude-sonnet-4-6"), ("openai", "gpt-4o-mini"))
CODEBOOK = (
    "Code each review for a study of consumer satisfaction. Sentiment is the reviewer's overall tone, "
    "not the star rating; mixed reviews are neutral unless one side clearly dominates. Confidence is "
    "how sure you are, from 0 to 1. A price mention is any reference to cost, value or discounts. "
    "Topics: quality covers build, durability and performance; price covers cost and value; service "
    "covers delivery, support and returns. Quote the shortest passage that supports the sentiment. "
) * 12


def spec(provider: str, model: str, **changes: object) -> JobSpec:
    raw = json.loads((ROOT / "examples" / "reviews-openai.json").read_text())
    raw.pop("rows_per_request")
    raw.update(provider=provider, model=model, **changes)
    return parse_spec(raw, ROOT / "examples")


def sample_rows() -> list[RowInput]:
    with (ROOT / "resources" / "sample" / "reviews.csv").open(encoding="utf-8") as handle:
        return [RowInput(r["review_id"], f"Title: {r['title']}\nReview: {r['body']}") for r in csv.DictReader(handle)]


def messy_rows(count: int = 200, seed: int = 1) -> list[RowInput]:
    """Interview transcripts: quoted speech, line breaks, bracketed notes alone on a line."""
    rng = random.Random(seed)
    parts = ['She said "it\'s fine" twice.', "[laughs]", "Q: and then?", 'A: "No idea," he said.', "[pause]",
             "It cost $40 \\ month.", "Line one\n\nLine three"]
    return [RowInput(f"T{i:05d}", "\n".join(rng.choices(parts, k=rng.randint(3, 9)))) for i in range(count)]


def framing(provider: str, model: str, rows: list[RowInput], fmt: str) -> float:
    """Tokens per row a format adds on real texts: the message's tokens minus the texts' own."""
    counter = token_counter(provider, model)
    own = sum(counter.count(r.text) for r in rows)
    size = 10
    groups = [rows[i : i + size] for i in range(0, len(rows), size)]
    total = sum(counter.count(ROW_FORMATS[fmt].write(g)) for g in groups)
    return (total - own) / len(rows)


def main() -> None:
    print(f"Overhead per row beyond its own text (input tokens; target <= {OVERHEAD_TARGET} at the defaults)")
    print(f"{'project':<16}{'model':<20}{'1 row':>8}{'5 rows json':>13}{'auto json':>16}{'auto compact (default)':>26}")
    for label, changes in (("sample", {}), ("long codebook", {"instructions": CODEBOOK})):
        for provider, model in MODELS:
            one = RequestBuilder(spec(provider, model, rows_per_request=1, **changes))
            five = RequestBuilder(spec(provider, model, rows_per_request=5, **changes))
            auto_json = RequestBuilder(spec(provider, model, row_format="json", **changes))
            auto = RequestBuilder(spec(provider, model, **changes))
            print(
                f"{label:<16}{model:<20}{one.overhead_per_row():>8.1f}{five.overhead_per_row():>13.1f}"
                f"{auto_json.overhead_per_row():>9.1f} ({auto_json.rows_per_request:>2})"
                f"{auto.overhead_per_row():>19.1f} ({auto.rows_per_request:>2})"
                f"  {'meets' if auto.overhead_per_row() <= OVERHEAD_TARGET else 'misses'} target; "
                f"shared prompt {auto.shared_prompt_tokens} tokens"
            )
    print("\nFraming per row on real texts (tokens the format adds around each row, its ID included)")
    for name, rows in (("sample reviews", sample_rows()), ("messy transcripts", messy_rows())):
        for provider, model in MODELS:
            json_tokens, compact_tokens = (framing(provider, model, rows, f) for f in ("json", "compact"))
            print(f"{name:<20}{model:<20} json {json_tokens:5.1f}   compact {compact_tokens:5.1f}   "
                  f"saves {json_tokens - compact_tokens:4.1f} per row")


if __name__ == "__main__":
    main()
