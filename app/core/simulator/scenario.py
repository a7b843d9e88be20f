"""What the simulated service should do: progress speed, per-request outcomes, batch fates, faults.

A :class:`Scenario` is plain data so tests in other processes (and data files) can script the
simulator through ``POST /__control/scenario`` as JSON, exactly as Python tests do in-process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: Outcomes that still produce an HTTP 200 answer body (counted as succeeded by the providers).
ANSWER_OUTCOMES = (
    "success",
    "refusal",
    "truncated",
    "malformed",
    "missing_id",
    "invented_id",
    "duplicate_id",
)
#: Outcomes the provider reports as a failed request with an API error.
ERROR_OUTCOMES = ("error_400", "server_error")
#: Outcomes that only exist inside a batch: the request never ran.
UNRUN_OUTCOMES = ("expired", "cancelled")
OUTCOMES = ANSWER_OUTCOMES + ERROR_OUTCOMES + UNRUN_OUTCOMES
BATCH_OUTCOMES = ("normal", "validation_failed", "token_limit", "expire", "only_error_file")
PROGRESS_MODES = ("polls", "time")


def _check(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


@dataclass
class TextRule:
    """Scripts an outcome for every request whose user message contains ``contains``."""

    contains: str
    outcome: str

    def __post_init__(self) -> None:
        _check(self.outcome, OUTCOMES, "outcome")


@dataclass
class Fault:
    """A service fault for requests matching ``method``/``path_prefix``, fired ``times`` times.

    ``status`` is an HTTP status (429, 500, 529 …) or ``"drop"``: the connection closes mid-upload
    when the request has a body, otherwise after the headers and half of the response body; or
    ``"lost_response"``: the service does the work (e.g. creates the batch) and then closes the
    connection without answering, as when a create call times out after the provider accepted it.
    ``retry_after`` (seconds) is sent as ``retry-after-ms``/``retry-after`` so SDK retries stay fast.
    """

    status: int | str
    method: str | None = None
    path_prefix: str = "/"
    times: int = 1
    retry_after: float | None = 0.05

    def __post_init__(self) -> None:
        if self.status not in ("drop", "lost_response") and not (isinstance(self.status, int) and 400 <= self.status <= 599):
            raise ValueError(f"fault status must be an HTTP error status, 'drop' or 'lost_response', not {self.status!r}")

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault still has shots left for this request."""
        same_method = self.method is None or self.method.upper() == method
        return self.times > 0 and same_method and path.startswith(self.path_prefix)


@dataclass
class Scenario:
    """Every knob of the simulator; JSON names equal the attribute names."""

    progress: str = "polls"
    polls_per_step: int = 1
    seconds_per_step: float = 2.0
    default_outcome: str = "success"
    outcomes: dict[str, str] = field(default_factory=dict)
    text_rules: list[TextRule] = field(default_factory=list)
    batch_outcome: str = "normal"
    faults: list[Fault] = field(default_factory=list)
    api_key: str | None = None
    #: Reject temperature/top_p/top_k when a request says ``anthropic-version: 2026-10-21``.
    version_checks: bool = True
    #: OpenAI's enqueued-token limit per model: a batch that would take the unfinished batches of its
    #: model over it is created and then fails with ``token_limit_exceeded`` (None: no limit).
    #: Tokens are counted as input-file bytes / 4.
    enqueued_token_limit: int | None = None

    def __post_init__(self) -> None:
        _check(self.progress, PROGRESS_MODES, "progress mode")
        _check(self.default_outcome, OUTCOMES, "outcome")
        _check(self.batch_outcome, BATCH_OUTCOMES, "batch outcome")
        for outcome in self.outcomes.values():
            _check(outcome, OUTCOMES, "outcome")
        if self.enqueued_token_limit is not None and self.enqueued_token_limit < 1:
            raise ValueError("enqueued_token_limit must be a positive number of tokens")
        if self.polls_per_step < 1 or self.seconds_per_step <= 0:
            raise ValueError("polls_per_step must be at least 1 and seconds_per_step positive")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Scenario:
        """Build from JSON data; unknown keys are an error so typos do not pass silently."""
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown scenario keys: {', '.join(sorted(unknown))}")
        data = dict(raw)
        data["text_rules"] = [r if isinstance(r, TextRule) else TextRule(**r) for r in data.get("text_rules", [])]
        data["faults"] = [f if isinstance(f, Fault) else Fault(**f) for f in data.get("faults", [])]
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def merged(self, changes: dict[str, Any]) -> Scenario:
        """A new scenario with the given top-level keys replaced (validated as a whole)."""
        return Scenario.from_dict(self.to_dict() | changes)

    def outcome_for(self, custom_id: str | None, user_text: str) -> str:
        """The scripted outcome of one request: by custom_id, then the first matching text rule."""
        if custom_id is not None and custom_id in self.outcomes:
            return self.outcomes[custom_id]
        for rule in self.text_rules:
            if rule.contains in user_text:
                return rule.outcome
        return self.default_outcome

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, with one of its shots used up."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None
