"""After a crash or a timeout around a create call: find the batch it made, or prove there is none.

Before every create the engine records the intent (state ``creating``); if the process dies or
the call times out after the provider accepted it, this decides between adopting the batch that
exists and creating one. It adopts only what it can tell is this batch's:

- a batch whose provider record proves it (OpenAI: the ``batchlab_tag`` metadata; Anthropic, once
  ended: the custom_ids of its results, which name job, attempt and request);
- never a batch another job of this history already owns, nor one created before the intent;
- a still-running Anthropic batch of the right size only when it is the sole candidate and no other
  job here is in the same uncertain state — and its results are checked before any row is read
  (see ``BatchSteps``), so a wrong one is sent again instead of merged.

Anything else is ambiguous: :class:`AdoptionError` names the candidates and nothing is created.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from app.core.errors import AdoptionError
from app.core.run.merge import batch_requests
from app.core.run.providers import BatchProvider
from app.core.run.providers.base import Candidate
from app.core.run.store import Store, now, parse_time

#: Clock difference tolerated between this computer and the provider when comparing creation times.
CLOCK_SKEW = dt.timedelta(minutes=2)


class Adoption:
    """Finds the provider batch a ``creating`` batch may already have."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, job_id: str, provider: BatchProvider, job_folder: Path, batch: Any) -> Candidate | None:
        """The batch to adopt, or None when none was created (then it is safe to create one)."""
        since = parse_time(batch["create_started_at"]) or dt.datetime.now(dt.timezone.utc)
        custom_ids = frozenset(batch_requests(job_folder, batch))
        known = self.store.known_provider_batches()
        candidates = [
            c
            for c in provider.find_batch(batch["tag"], since, batch["requests"], custom_ids)
            if c.id not in known and (c.created_at is None or c.created_at >= since - CLOCK_SKEW)
        ]
        proven = [c for c in candidates if c.proven]
        if proven:
            return proven[0]
        if not candidates:
            return None
        rivals = self._rivals(batch)
        if len(candidates) == 1 and not rivals:
            return candidates[0]
        raise self._ambiguous(job_id, batch, candidates, rivals)

    def adopt(self, job_id: str, batch: Any, found: Candidate) -> None:
        self.store.update_batch(
            batch["id"], state="submitted", provider_batch_id=found.id,
            created_at=found.created_at.isoformat() if found.created_at else now(),
        )
        how = "" if found.proven else " (its results will be checked against this batch's requests before use)"
        self.store.log(job_id, f"Batch {batch['seq']}: found {found.id}, created before the restart; not sent again{how}.")

    def _rivals(self, batch: Any) -> list[Any]:
        """Other batches of this history whose create call is just as uncertain, and of the same size."""
        return [
            b
            for b in self.store.query(
                "SELECT b.*, j.name AS job_name FROM batches b JOIN jobs j ON j.id = b.job_id "
                "WHERE b.state = 'creating' AND b.id != ? AND b.requests = ?",
                (batch["id"], batch["requests"]),
            )
        ]

    @staticmethod
    def _ambiguous(job_id: str, batch: Any, candidates: list[Candidate], rivals: list[Any]) -> AdoptionError:
        found = ", ".join(
            f"{c.id} (created {c.created_at:%Y-%m-%d %H:%M} UTC)" if c.created_at else c.id for c in candidates
        )
        claimants = [f'job {job_id} (batch {batch["seq"]})'] + [f'job {r["job_id"]} "{r["job_name"]}" (batch {r["seq"]})' for r in rivals]
        return AdoptionError(
            f"Cannot tell whose batch this is: the provider has {found}, with {batch['requests']:,} requests, "
            f"created while {' and '.join(claimants)} were being submitted. BatchLab will not guess.",
            "The provider shows whose requests a batch holds once it has ended; run `python -m app resume` "
            "again then. Nothing was sent twice and nothing is lost meanwhile.",
        )
