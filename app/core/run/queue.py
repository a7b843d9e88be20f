"""Submitting a large OpenAI job as a queue, within the provider's enqueued-token limit.

OpenAI limits how many input tokens an organisation may have waiting in batches per model (the
"batch queue limit"); a batch over it is still created, then fails with ``token_limit_exceeded``
(openai-python#2084, quoted in the reference notes). Tier 1 allows 2,000,000 tokens for the
mini models, 90,000 for some larger ones; higher tiers allow 20M to billions (community.openai.com,
"Rate limits for batch API"). So BatchLab creates a job's batches only while the tokens of
batches already waiting stay within a budget per model, and a batch that still fails for the
limit goes back in the queue — sent again once the earlier batches have finished, its rows never
counted as failed.
"""

from __future__ import annotations

import os
from typing import Any

from app.core.run.store import Store

#: Enqueued input tokens per model BatchLab allows itself by default: OpenAI's Tier-1 batch queue
#: limit for the mini models. Accounts on a higher tier can raise it (Engine(queue_tokens=…) or
#: the BATCHLAB_QUEUE_TOKENS environment variable) so big jobs are submitted faster.
DEFAULT_QUEUE_TOKENS = 2_000_000
QUEUE_ENV = "BATCHLAB_QUEUE_TOKENS"
TOKEN_LIMIT = "token_limit_exceeded"
#: Providers that have an enqueued-token limit (Anthropic limits requests in processing instead).
QUEUED_PROVIDERS = ("openai",)
#: How often one batch is sent again after token_limit_exceeded before its rows fail with that reason.
MAX_RESUBMITS = 10


def queue_budget(setting: int | None = None) -> int:
    """The enqueued-token budget: the setting, else the environment, else the default."""
    if setting is not None:
        return setting
    return int(os.environ.get(QUEUE_ENV) or DEFAULT_QUEUE_TOKENS)


class SubmitQueue:
    """Decides when a batch may be created, and puts a batch refused for the limit back in line."""

    def __init__(self, store: Store, budget: int | None = None) -> None:
        self.store = store
        self.budget = budget

    def may_create(self, job: Any, batch: Any) -> bool:
        """Whether creating ``batch`` now keeps the model's enqueued tokens within the budget.

        A batch always goes when nothing else waits (a single batch larger than the budget must
        still be tried); one the provider already refused for the limit waits for an empty queue.
        """
        if job["provider"] not in QUEUED_PROVIDERS:
            return True
        waiting = [b for b in self.store.batches_in_flight(job["provider"], job["model"]) if b["id"] != batch["id"]]
        if not waiting:
            return True
        if batch["resubmits"]:
            return False
        used = sum(b["input_tokens"] or 0 for b in waiting)
        return used + (batch["input_tokens"] or 0) <= queue_budget(self.budget)

    def should_requeue(self, job: Any, batch: Any) -> bool:
        """Whether a batch refused for the limit may go again: only while earlier batches of the model
        wait (their end frees the queue); a batch refused with nothing else waiting fails for real."""
        others = [b for b in self.store.batches_in_flight(job["provider"], job["model"]) if b["id"] != batch["id"]]
        return bool(others) and batch["resubmits"] < MAX_RESUBMITS

    def requeue(self, job_id: str, batch: Any) -> None:
        """Put a batch that failed for the enqueued-token limit back before its create step.

        It gets a new tag, so recovery after a crash can never mistake the refused batch for the
        one sent again.
        """
        resubmits = batch["resubmits"] + 1
        base = batch["tag"].split("~", 1)[0]
        self.store.update_batch(
            batch["id"], state="uploaded" if batch["file_id"] else "prepared", provider_batch_id=None,
            provider_status=None, error=None, counts={}, resubmits=resubmits, tag=f"{base}~r{resubmits}",
        )
        self.store.log(
            job_id,
            f"Batch {batch['seq']}: the provider's queue for this model was full (token_limit_exceeded); "
            "it will be sent again once earlier batches have finished.",
        )

    @staticmethod
    def progress(batches: list[Any]) -> str:
        """"Waiting for the provider's queue (2 of 5 batches submitted)"."""
        submitted = sum(1 for b in batches if b["provider_batch_id"] or b["state"] in ("parsed", "ended", "downloaded"))
        return f"Waiting for the provider's queue ({submitted} of {len(batches)} batches submitted)"
