"""What a prepared job is expected to take: its tokens and cost, and the notes and warnings that
explain them (the manifest's ``tokens``, ``cost`` and fit ``warnings``; the Review step shows them)."""

from __future__ import annotations

from typing import Any

from app.core.build.pricing import describe_missing_price, job_cost, model_limits
from app.core.build.requests import OVERHEAD_TARGET, RequestBuilder, output_tokens_per_row
from app.core.build.tokens import TokenTally
from app.core.spec import JobSpec


def estimate_section(spec: JobSpec, builder: RequestBuilder, tally: TokenTally, rows: int, batches: int) -> dict[str, Any]:
    """The manifest's ``tokens`` and ``cost``: counted input, expected output and reasoning, priced as billed."""
    output_tokens = output_tokens_per_row(spec) * rows
    reasoning_tokens = builder.reasoning_tokens_per_request * tally.requests
    tokens = {
        "input_total": tally.total,
        "input_per_request_max": tally.max_tokens + tally.static_tokens,
        "input_per_request_average": round(tally.total / tally.requests) if tally.requests else 0,
        "shared_prompt_per_request": tally.static_tokens,
        "output_estimate_total": output_tokens,
        "reasoning_estimate_total": reasoning_tokens,
        "overhead_per_row": round(builder.overhead_per_row(), 1),
        "method": tally.describe(),
        "exact": tally.exact,
        "input_total_margin": tally.margin,  # ± tokens at 95% (0 when every request was counted)
        "input_counted_requests": tally.counted,
    }
    cost = job_cost(
        spec.provider,
        spec.model,
        requests=tally.requests,
        batches=batches,
        input_tokens=tally.total,
        shared_tokens=tally.static_tokens,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
        cache_ttl=builder.cache_ttl,
    )
    if cost is None:
        cost = {"total": None, "note": describe_missing_price(spec.provider, spec.model)}
    else:
        cost["note"] = _cost_note(spec, builder, cost)
    return {"tokens": tokens, "cost": cost}


def _overhead_note(builder: RequestBuilder) -> str:
    """How many input tokens a row costs beyond its text, and how many rows per request would lower it."""
    note = (
        f" Beyond its own text, each row costs about {builder.overhead_per_row():.0f} input tokens (its share "
        "of the instructions and schema, and its framing)"
    )
    suggested = builder.suggested_rows_per_request()
    if suggested is None:
        return note + "."
    return note + f"; {suggested} rows per request would bring that to about {OVERHEAD_TARGET}."


def _cost_note(spec: JobSpec, builder: RequestBuilder, cost: dict[str, Any]) -> str:
    return _price_note(spec, builder, cost) + _overhead_note(builder)


def _price_note(spec: JobSpec, builder: RequestBuilder, cost: dict[str, Any]) -> str:
    note = f"Batch prices. Output assumed ~{output_tokens_per_row(spec)} tokens per row"
    if builder.reasoning_tokens_per_request:
        note += (
            f"; the model's hidden reasoning at effort \"{builder.effort}\" adds roughly "
            f"{builder.reasoning_tokens_per_request:,} output tokens per request, about ${cost['reasoning']:,.4f} "
            "in all (a rough figure; billed as output)"
        )
    if builder.cache_ttl:
        return note + (
            f". The shared instructions are written to the cache once per batch (${cost['cache_writes']:,.4f}) "
            f"and read by the other requests (${cost['cache_reads']:,.4f}); the provider's cache hits are best "
            "effort, so the input may cost more."
        )
    return note + ". Prompt caching can make the input cheaper."


def fit_warnings(spec: JobSpec, builder: RequestBuilder, tally: TokenTally) -> list[str]:
    """Where the longest request or the output budget may not fit the model."""
    limits = model_limits(spec.provider, spec.model)
    warnings = []
    largest = tally.max_tokens + tally.static_tokens
    budget = builder.max_output or 0
    if limits.context_window and largest + budget > limits.context_window:
        warnings.append(
            f"The longest request ({tally.max_custom_id}, about {largest:,} tokens) may not fit "
            f"{spec.model}'s context window of {limits.context_window:,} tokens. Shorten that text, "
            "lower rows per request, or choose a model with a larger context."
        )
    needed = output_tokens_per_row(spec) * builder.rows_per_request
    if builder.max_output and builder.max_output < needed:
        warnings.append(
            f"The output budget ({builder.max_output} tokens) is below the ~{needed} tokens an answer of "
            f"{builder.rows_per_request} row(s) needs; answers may come back truncated."
        )
    if limits.max_output_tokens and budget > limits.max_output_tokens:
        warnings.append(
            f"The output budget ({budget:,}) is above {spec.model}'s maximum of {limits.max_output_tokens:,} tokens."
        )
    return warnings
