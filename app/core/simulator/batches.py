"""The batch lifecycle both providers share: plan, progress, cancel, results, listing.

A batch's progress is a step number, counted from polls or computed from its creation time, so a
"time" batch keeps moving while nobody looks and after a restart. Each step maps to a stage and to
how many requests (in a fixed, shuffled processing order) have run; the provider modules only
render that state in their own wire shapes and write their result files once a batch ends.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.simulator.responder import Call, read_prompt, respond
from app.core.simulator.scenario import ANSWER_OUTCOMES, Scenario
from app.core.simulator.store import Store
from app.core.simulator.wire import ApiError, new_id, paginate

#: Share of requests that have run at steps 0, 1, 2, 3; a normal batch ends at step 4.
_FINISHED_SHARE = (0.0, 0.0, 0.5, 1.0)
_END_STEP = 4
_EXPIRE_STEP = 3
#: The step at which each stage begins (used for the timestamps of "time" batches).
_FIRST_STEP = {"running": 1, "failed": 1, "finalizing": 3, "expired": _EXPIRE_STEP, "done": _END_STEP}
_CHAINS = {
    "normal": ("running", "finalizing", "done"),
    "expire": ("running", "expired"),
    "failed": ("failed",),
}
TERMINAL = ("done", "failed", "cancelled", "expired")
#: A batch as kept in the store's index (plain JSON data).
Record = dict[str, Any]


@dataclass(frozen=True)
class Phase:
    """Where a batch is: ``stage`` (validating, running, finalizing, done, failed, cancelling,
    cancelled, expired) and how many requests, in processing order, have run."""

    stage: str
    finished: int
    step: int

    @property
    def terminal(self) -> bool:
        return self.stage in TERMINAL


@dataclass
class Executed:
    """What one request produced when it ran: an answer body or an API error."""

    custom_id: str
    outcome: str
    body: dict[str, Any] | None = None
    error: ApiError | None = None

    def fate(self, ran: bool, stage: str) -> str | None:
        """Its fate as Anthropic counts it (succeeded/errored/canceled/expired); None while pending."""
        if ran:
            if self.outcome == "expired":
                return "expired"
            if self.outcome == "cancelled":
                return "canceled"
            return "errored" if self.error else "succeeded"
        return {"cancelled": "canceled", "expired": "expired"}.get(stage)


def user_text(shape: str, body: Any) -> str:
    """The user message a text rule is matched against (empty for bodies too broken to read)."""
    try:
        return read_prompt(shape, body).user if isinstance(body, dict) else ""
    except ApiError:
        return ""


class BatchBook:
    """Batches of one provider: records in the store, requests and results in blobs.

    Subclasses name the store ``kind``, the id ``prefix``, the request ``body_key``, and write
    their result files in :meth:`finalize`.
    """

    kind: str
    prefix: str
    body_key: str

    def __init__(self, store: Store, scenario: Callable[[], Scenario]) -> None:
        self.store = store
        self.scenario = scenario
        self._executed: dict[str, list[Executed]] = {}

    # ---- creation ------------------------------------------------------------------------------
    def create(self, requests: list[dict[str, Any]], fields: dict[str, Any], errors: list[Any] | None = None) -> Record:
        """Record a new batch; outcomes and pacing are fixed now so later scenario edits do not rewrite it."""
        scenario = self.scenario()
        for request in requests:
            text = user_text(self.shape(request), request.get(self.body_key))
            outcome = scenario.outcome_for(request["custom_id"], text)
            if scenario.batch_outcome == "only_error_file" and outcome in ANSWER_OUTCOMES:
                outcome = "error_400"
            request["outcome"] = outcome
        order = sorted(range(len(requests)), key=lambda i: hashlib.sha256(requests[i]["custom_id"].encode()).digest())
        batch_id = new_id(self.prefix)
        self.store.put_json(self._blob(batch_id), {"requests": requests, "order": order})
        record = {
            "id": batch_id,
            "seq": self.store.next_seq(),
            "created_at": time.time(),
            "polls": 0,
            "plan": {
                "progress": scenario.progress,
                "polls_per_step": scenario.polls_per_step,
                "seconds_per_step": scenario.seconds_per_step,
                "batch_outcome": scenario.batch_outcome,
            },
            "total": len(requests),
            "errors": errors,
            "cancel_step": None,
            "times": {},
            "final": None,
        } | fields
        self.store.records(self.kind)[batch_id] = record
        self.store.save()
        return record

    def shape(self, request: dict[str, Any]) -> str:
        """The responder wire shape of one stored request."""
        raise NotImplementedError

    def _blob(self, batch_id: str) -> str:
        return f"{batch_id}.requests.json"

    def requests(self, record: Record) -> tuple[list[dict[str, Any]], list[int]]:
        """The batch's requests (with their planned outcomes) and their processing order."""
        data = self.store.get_json(self._blob(record["id"]))
        return data["requests"], data["order"]

    # ---- progress ------------------------------------------------------------------------------
    def _step(self, record: Record, now: float) -> int:
        plan = record["plan"]
        if plan["progress"] == "time":
            return int((now - record["created_at"]) / plan["seconds_per_step"])
        return record["polls"] // plan["polls_per_step"]

    def phase(self, record: Record, now: float) -> Phase:
        step = self._step(record, now)
        total = record["total"]
        cancel = record["cancel_step"]
        if cancel is not None:
            finished = int(total * _FINISHED_SHARE[min(cancel, len(_FINISHED_SHARE) - 1)])
            return Phase("cancelling" if step <= cancel else "cancelled", finished, step)
        if step == 0:
            return Phase("validating", 0, step)
        if record["errors"]:
            return Phase("failed", 0, step)
        if record["plan"]["batch_outcome"] == "expire" and step >= _EXPIRE_STEP:
            return Phase("expired", total // 2, step)
        if step >= _END_STEP:
            return Phase("done", total, step)
        stage = "finalizing" if step == _END_STEP - 1 else "running"
        return Phase(stage, int(total * _FINISHED_SHARE[step]), step)

    def _stage_time(self, record: Record, stage: str, now: float) -> float:
        plan = record["plan"]
        if plan["progress"] != "time":
            return now
        first = record["cancel_step"] + 1 if stage == "cancelled" else _FIRST_STEP[stage]
        return record["created_at"] + first * plan["seconds_per_step"]

    def _mark_times(self, record: Record, phase: Phase, now: float) -> None:
        """Stamp the stage just reached and any skipped ones (a "time" batch may jump several)."""
        if phase.stage == "cancelled":
            reached: tuple[str, ...] = ("cancelled",)
        else:
            fate = record["plan"]["batch_outcome"]
            chain = _CHAINS["failed" if record["errors"] else "expire" if fate == "expire" else "normal"]
            reached = chain[: chain.index(phase.stage) + 1] if phase.stage in chain else ()
        for stage in reached:
            record["times"].setdefault(stage, self._stage_time(record, stage, now))

    def view(self, batch_id: str, *, poll: bool = False) -> tuple[Record, Phase]:
        """A batch's record and phase; a poll advances "polls" batches; an ended batch gets its results."""
        record = self.get(batch_id)
        before = (record["polls"], len(record["times"]), record["final"])
        if poll and record["plan"]["progress"] == "polls":
            record["polls"] += 1
        now = time.time()
        phase = self.phase(record, now)
        self._mark_times(record, phase, now)
        if phase.terminal and record["final"] is None:
            record["final"] = self.finalize(record, phase)
        if (record["polls"], len(record["times"]), record["final"]) != before:
            self.store.save()
        return record, phase

    def get(self, batch_id: str) -> Record:
        record = self.store.records(self.kind).get(batch_id)
        if record is None:
            raise ApiError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return record

    def cancel(self, batch_id: str) -> tuple[Record, Phase]:
        """Start cancelling; requests that have not run yet end as cancelled one step later."""
        record, phase = self.view(batch_id)
        if phase.terminal:
            raise ApiError(400, f"Batch '{batch_id}' has already ended and cannot be cancelled.")
        if phase.stage != "cancelling":
            record["cancel_step"] = phase.step
            record["times"]["cancelling"] = time.time()
            self.store.save()
        return record, self.phase(record, time.time())

    def delete(self, batch_id: str) -> None:
        self.get(batch_id)
        del self.store.records(self.kind)[batch_id]
        self.store.delete_blob(self._blob(batch_id))
        self._executed.pop(batch_id, None)
        self.store.save()

    def page(
        self, limit: int, after: str | None = None, before: str | None = None
    ) -> tuple[list[tuple[Record, Phase]], bool]:
        """Newest first, viewed without counting as polls."""
        items, has_more = paginate(self.store.newest_first(self.kind), limit, after, before)
        return [self.view(item["id"]) for item in items], has_more

    # ---- results -------------------------------------------------------------------------------
    def executed(self, record: Record) -> list[Executed]:
        """Every request's answer, in processing order; deterministic, so regenerated after a restart."""
        if record["id"] not in self._executed:
            requests, order = self.requests(record)
            done: list[Executed] = []
            for position, index in enumerate(order):
                request = requests[index]
                outcome = request["outcome"]
                item = Executed(request["custom_id"], outcome)
                call = Call(f"{record['id']}/{item.custom_id}", record["created_at"], cache_hit=position > 0)
                # A request that never runs (expired/cancelled) still has an answer had it run.
                answer_as = "success" if outcome in ("expired", "cancelled") else outcome
                try:
                    item.body = respond(self.shape(request), request.get(self.body_key) or {}, answer_as, call)
                except ApiError as exc:
                    item.error = exc
                done.append(item)
            self._executed[record["id"]] = done
        return self._executed[record["id"]]

    def fates(self, record: Record, phase: Phase) -> list[tuple[Executed, str | None]]:
        """Each request (processing order) with its fate now, None while still pending."""
        if phase.finished == 0 and phase.stage not in ("cancelled", "expired"):
            return []  # nothing has run: no need to generate answers yet
        return [
            (item, item.fate(position < phase.finished, phase.stage))
            for position, item in enumerate(self.executed(record))
        ]

    def counts(self, record: Record, phase: Phase) -> dict[str, int]:
        counts = {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for _, fate in self.fates(record, phase):
            if fate is not None:
                counts[fate] += 1
        return counts

    def finalize(self, record: Record, phase: Phase) -> dict[str, Any]:
        """Write the ended batch's results; returns what the record keeps about them."""
        raise NotImplementedError
