"""Try a job on a few rows right away, through the providers' direct (non-batch) endpoints.

The sampled rows are sent as the batch would send them (same bodies, same rows per request) and
judged by the same parsing, so what a person sees in the pilot is what the batch will produce.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from app.core.results.answers import Answer, from_body
from app.core.data import Table
from app.core.run.engine import RowResult
from app.core.errors import CancelledError, ProviderError
from app.core.keys import KeyStore
from app.core.build.prepare import iter_requests, plan_rows, sample_rows
from app.core.build.pricing import usage_cost
from app.core.run.providers import connect
from app.core.build.requests import RequestBuilder, RowInput
from app.core.results.rowmap import map_answer
from app.core.spec import JobSpec

MAX_CONCURRENT = 4


def run_pilot(
    spec: JobSpec,
    table: Table,
    rows: int = 5,
    keys: KeyStore | None = None,
    should_cancel: Callable[[], bool] | None = None,
    seed: int = 0,
) -> list[RowResult]:
    """Code ``rows`` randomly sampled rows now; one result per row, in the sample's order."""
    plan = plan_rows(spec, table)
    chosen = set(sample_rows([plan.ids[p] for p in plan.positions], rows, seed))
    plan.positions = [p for p in plan.positions if plan.ids[p] in chosen]
    builder = RequestBuilder(spec)
    provider = connect(spec.provider, keys or KeyStore(), base_url=spec.base_url, endpoint=spec.endpoint, timeout=60)
    requests = [(cid, batch_rows) for cid, batch_rows, _ in iter_requests(builder, plan, "pilot")]

    def ask(batch_rows: list[RowInput]) -> Answer:
        if should_cancel and should_cancel():
            raise CancelledError()
        try:
            return from_body(spec.provider, spec.endpoint, provider.direct(builder.body(batch_rows)))
        except ProviderError as exc:  # a rejected key is not a ProviderError and stops the pilot
            return Answer("failed", exc.message)

    # The first request goes alone: the SDK's answer types are pydantic models built on first use,
    # and building one is not thread-safe (pydantic/pydantic#11849; a pilot of 4 threads at once
    # once failed inside the openai SDK's parsing of a Responses answer).
    groups = [r for _, r in requests]
    answers = [ask(rows) for rows in groups[:1]]
    with ThreadPoolExecutor(MAX_CONCURRENT) as pool:
        answers += pool.map(ask, groups[1:])
    results: list[RowResult] = []
    for (_, batch_rows), answer in zip(requests, answers):
        outcomes, _ = map_answer(spec.fields, [r.row_id for r in batch_rows], answer, builder.multi)
        usage = answer.usage
        # The pilot runs at direct (not batch) prices: twice the batch price.
        cost = usage_cost(spec.model, usage.raw, spec.provider)
        share = len(outcomes) or 1
        results += [
            RowResult(
                row_id=o.row_id,
                status=o.status,
                reason=o.reason,
                values=o.values or {},
                input_tokens=round(usage.input_tokens / share),
                output_tokens=round(usage.output_tokens / share),
                cost=2 * cost / share if cost is not None else None,
                attempt=0,
            )
            for o in outcomes
        ]
    return results
