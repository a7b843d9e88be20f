"""Turn rows into the exact request objects each provider's batch API accepts.

The instructions are the system prompt and identical in every request of a job, so the providers'
prompt caching applies (Anthropic needs ``cache_control`` on the system block for that, with the
1-hour lifetime once the shared prefix is long enough to be cached at all). What a model accepts
comes from the model registry (:mod:`app.core.build.models`); every adjustment a rule forces is
reported as a note the preview shows, instead of letting a whole batch fail at the provider.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from app.core.build.models import FORCED_TOOL, JSON_OUTPUTS, REASONING_HEADROOM, ModelRules, rules_for
from app.core.build.rowformat import ROW_FORMATS, RowInput
from app.core.build.schema import SCHEMA_NAME, limit_problems, output_schema, portable_schema
from app.core.build.tokens import MESSAGE_OVERHEAD, REPLY_PRIMING, token_counter
from app.core.errors import SpecError
from app.core.spec import AUTO, REASONING_EFFORTS, JobSpec

__all__ = ["RequestBuilder", "RowInput", "resolved_rows_per_request"]

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
OPENAI_URLS = {"chat": "/v1/chat/completions", "responses": "/v1/responses"}
TOOL_DESCRIPTION = "Record the coding of the text(s) in the message."
PROVIDER_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic", "compatible": "the server", "demo": "the demo"}
#: Input tokens per row beyond its own text that automatic rows per request aim for (issue 11).
OVERHEAD_TARGET = 25
#: Automatic (and suggested) rows per request stay at or below this, so one bad answer loses little …
MAX_AUTO_ROWS = 20
#: … their answers (twice the usual size, plus reasoning headroom) within this many output tokens …
SAFE_OUTPUT_SHARE = 16_000
#: … and their texts, at this many tokens each (a long post or answer), within this share of the
#: context window, with the shared prompt and the output budget.
ROW_INPUT_ALLOWANCE = 2_000
SAFE_CONTEXT_SHARE = 0.5
#: Rough output tokens one answer of each field type needs; used only for a default output budget.
_FIELD_OUTPUT_TOKENS = {"category": 8, "number": 8, "integer": 6, "boolean": 4, "list": 30, "text": 120}


def is_reasoning_model(model: str, provider: str = "openai") -> bool:
    """Whether the model has a reasoning-effort setting (o-series, gpt-5 and later, Claude 5.x)."""
    return rules_for(provider, model).reasoning


def output_tokens_per_row(spec: JobSpec) -> int:
    """Visible output one row's answer takes, roughly (reasoning tokens come on top)."""
    return 20 + sum(_FIELD_OUTPUT_TOKENS.get(f.type, 50) for f in spec.fields)


def default_output_budget(spec: JobSpec, rows: int) -> int:
    """A generous output budget for one request's answer, from the fields and the ``rows`` it carries."""
    return max(1024, 2 * output_tokens_per_row(spec) * rows)


def resolved_rows_per_request(spec: JobSpec) -> int:
    """The number of rows each request carries: the spec's own, or the one "auto" resolves to."""
    if spec.rows_per_request != AUTO:
        return int(spec.rows_per_request)
    return RequestBuilder(spec).rows_per_request


def choose_effort(rules: ModelRules, wanted: str | None) -> str | None:
    """The effort to send: the job's choice if the model takes it, else the nearest one above it."""
    if not rules.efforts:
        return None
    if wanted is None or wanted in rules.efforts:
        return wanted or rules.default_effort
    rank = REASONING_EFFORTS.index(wanted)
    above = [e for e in rules.efforts if REASONING_EFFORTS.index(e) >= rank]
    return above[0] if above else rules.efforts[-1]


@dataclass
class RequestBuilder:
    """Builds every request of a job from one spec; ``notes`` say what model rules changed.

    ``rows_per_request`` is the number each request carries ("auto" resolved), ``row_format``
    how several rows are written into one message.
    """

    spec: JobSpec
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        spec = self.spec
        self.rules = rules = rules_for(spec.provider, spec.model)
        if rules.unknown_note:
            self.notes.append(rules.unknown_note)
        self.multi = spec.multi_row
        self.row_format = spec.effective_row_format
        self._format = ROW_FORMATS[self.row_format]
        self.system_prompt = spec.instructions + (self._format.note if self.multi else "")
        self.schema = output_schema(spec.fields, 2 if self.multi else 1)  # above 1: the list of answers
        problems = limit_problems(spec.fields, self.schema, rules.schema_limits, PROVIDER_NAMES[spec.provider])
        if problems:
            raise SpecError(problems, "the output fields")
        self.effort = self._effort()
        self.rows_per_request = (
            self._rows_for_target(OVERHEAD_TARGET) if spec.rows_per_request == AUTO else int(spec.rows_per_request)
        )
        self.temperature = self._temperature()
        self.max_output = self._budget()
        self.cache_ttl = self._cache_ttl()
        self._static = self._static_body()

    # ---- rules → settings ------------------------------------------------------------------
    def _effort(self) -> str | None:
        spec, rules = self.spec, self.rules
        effort = choose_effort(rules, spec.reasoning_effort)
        if spec.reasoning_effort is not None and effort is None:
            self.notes.append(
                f'Reasoning effort "{spec.reasoning_effort}" is left out: {spec.model} has no reasoning setting.'
            )
        elif spec.reasoning_effort not in (None, effort):
            self.notes.append(
                f'{spec.model} does not take reasoning effort "{spec.reasoning_effort}"; BatchLab sends "{effort}" '
                f"(it accepts {', '.join(rules.efforts)})."
            )
        return effort

    def _temperature(self) -> float | None:
        spec, rules, temperature = self.spec, self.rules, self.spec.temperature
        if temperature is None:
            return None
        if rules.accepts_temperature(temperature, self.effort):
            if not rules.sampling and rules.sampling_at_effort == self.effort and temperature != rules.fixed_temperature:
                self.notes.append(
                    f"Temperature {temperature:g} is kept: {spec.model} takes a temperature only at reasoning "
                    f'effort "{self.effort}", which this job uses.'
                )
            return temperature
        reason = rules.api_drops_sampling or rules.no_sampling_reason
        if rules.sampling_at_effort is not None:
            reason = (f'takes a temperature only at reasoning effort "{rules.sampling_at_effort}"; this job uses '
                      f'"{self.effort}"')
        self.notes.append(f"Temperature {temperature:g} is left out: {spec.model} {reason}.")
        return None

    @property
    def _reasoning_headroom(self) -> int:
        """Output tokens kept free for hidden reasoning at this job's effort (0 where none is expected)."""
        rules = self.rules
        if not rules.expected_reasoning_tokens(self.effort):
            return 0
        return REASONING_HEADROOM.get(rules.effective_effort(self.effort) or "", 0)

    def _budget(self) -> int | None:
        """The output budget: the job's, or (where one is required) the answer plus reasoning headroom."""
        spec, rules = self.spec, self.rules
        reasoning = rules.expected_reasoning_tokens(self.effort)
        headroom = self._reasoning_headroom
        answer = default_output_budget(spec, self.rows_per_request)
        if spec.max_output_tokens is not None:
            if reasoning and spec.max_output_tokens < output_tokens_per_row(spec) * self.rows_per_request + reasoning:
                self.notes.append(
                    f"For {spec.model} the output budget ({spec.max_output_tokens:,}) also covers its hidden "
                    f"reasoning (about {reasoning:,} tokens per request); if rows come back truncated, raise it "
                    "or leave it on automatic."
                )
            return spec.max_output_tokens
        if spec.provider != "anthropic":
            return None  # OpenAI: without a budget the model's own limit applies, reasoning included
        budget = min(answer + headroom, rules.max_output or answer + headroom)
        covers = f", {headroom:,} of them for its thinking" if headroom else ""
        self.notes.append(f"Anthropic needs an output budget; BatchLab uses {budget:,} tokens per request{covers}.")
        return budget

    @functools.cached_property
    def shared_prompt_tokens(self) -> int:
        """Tokens every request repeats at its start: the instructions and the output schema.

        Counted when first needed, not when the builder is made: the tokenizer may still be being
        built (by a helper process, :func:`app.core.build.tokens.counting_helper`) meanwhile.
        """
        counter = token_counter(self.spec.provider, self.spec.model)
        return counter.count(self.system_prompt) + counter.count(orjson.dumps(self.schema).decode())

    def _cache_ttl(self) -> str | None:
        """Anthropic: "1h" once the shared prefix can be cached at all, else the default 5 minutes."""
        minimum = self.rules.min_cacheable
        if self.spec.provider != "anthropic" or minimum is None:
            return None
        if self.shared_prompt_tokens >= minimum:
            self.notes.append(
                f"The instructions and schema (about {self.shared_prompt_tokens:,} tokens) are shared by every "
                "request and cached for 1 hour: the first request of a batch writes them to the cache, the "
                "others read them at a small fraction of the input price."
            )
            return "1h"
        self.notes.append(
            f"The shared instructions (about {self.shared_prompt_tokens:,} tokens) are below {self.spec.model}'s "
            f"minimum of {minimum:,} tokens for prompt caching, so every request pays for them in full."
        )
        return None

    # ---- message content -------------------------------------------------------------------
    def user_content(self, rows: Sequence[tuple[str, str]]) -> str:
        """The user message for ``(id, text)`` rows (:class:`RowInput` or plain pairs): the row's
        text, or the rows in the job's row format."""
        return self._format.write(rows) if self.multi else rows[0][1]

    def user_contents(self, ids: Sequence[str], texts: Sequence[str]) -> list[str]:
        """:meth:`user_content` of every request these consecutive rows make, ``rows_per_request`` at a time."""
        if not self.multi:
            return list(texts)
        return self._format.write_many(ids, texts, self.rows_per_request)

    # ---- bodies ------------------------------------------------------------------------------
    def _static_body(self) -> dict[str, Any]:
        """The part of every body that does not depend on the rows, built once."""
        spec, rules = self.spec, self.rules
        body: dict[str, Any] = {"model": spec.model}
        if spec.provider == "anthropic":
            body.update(self._anthropic_static())
        elif self.uses_responses:
            body["instructions"] = self.system_prompt
            body["text"] = {
                "format": {"type": "json_schema", "name": SCHEMA_NAME, "strict": True, "schema": self.schema}
            }
            if self.max_output is not None:
                body["max_output_tokens"] = self.max_output
            if self.effort is not None:
                body["reasoning"] = {"effort": self.effort}
        else:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": self.schema},
            }
            if self.max_output is not None:
                body[rules.budget_key] = self.max_output
            if self.effort is not None:
                body["reasoning_effort"] = self.effort
        if self.temperature is not None:
            body["temperature"] = self.temperature
        return body

    def _anthropic_static(self) -> dict[str, Any]:
        rules = self.rules
        cache_control: dict[str, str] = {"type": "ephemeral"}
        if self.cache_ttl:
            cache_control["ttl"] = self.cache_ttl
        body: dict[str, Any] = {
            "max_tokens": self.max_output,
            "system": [{"type": "text", "text": self.system_prompt, "cache_control": cache_control}],
        }
        output_config: dict[str, Any] = {}
        if rules.structured == JSON_OUTPUTS:
            schema = portable_schema(self.schema, rules.schema_limits)
            output_config["format"] = {"type": "json_schema", "schema": schema}
        elif rules.structured == FORCED_TOOL:
            body["tools"] = [{"name": SCHEMA_NAME, "description": TOOL_DESCRIPTION, "input_schema": self.schema}]
            body["tool_choice"] = {"type": "tool", "name": SCHEMA_NAME}
        if self.effort is not None:
            output_config["effort"] = self.effort
            if self.effort == rules.efforts[0] and rules.lowest_thinking is not None:
                body["thinking"] = dict(rules.lowest_thinking)
        if output_config:
            body["output_config"] = output_config
        return body

    @property
    def url(self) -> str:
        """The OpenAI batch ``url``/``endpoint`` of every line (OpenAI-style providers only)."""
        return OPENAI_URLS["responses" if self.uses_responses else "chat"]

    @property
    def uses_responses(self) -> bool:
        return self.spec.provider == "openai" and self.spec.endpoint == "responses"

    def overhead_per_row(self, rows_per_request: int | None = None, sample_id: str = "12345") -> float:
        """Input tokens a row costs beyond its own text: its share of what every request repeats
        (instructions, schema, message framing) plus the framing around it in a multi-row message.

        ``rows_per_request`` other than the job's own is only meaningful on a multi-row builder
        (whose instructions and schema are the same for any number of rows above one).
        """
        rows = rows_per_request or self.rows_per_request
        per_request = self._per_request_tokens()
        if not self.multi:
            return float(per_request)
        return per_request / rows + self.framing_per_row(sample_id)

    def _per_request_tokens(self) -> int:
        return self.shared_prompt_tokens + 2 * MESSAGE_OVERHEAD + REPLY_PRIMING

    def framing_per_row(self, sample_id: str = "12345") -> int:
        """Tokens the row format adds around one more row of a multi-row message (ID included)."""
        counter = token_counter(self.spec.provider, self.spec.model)
        one, two = ([RowInput(sample_id, "")] * n for n in (1, 2))
        return counter.count(self._format.write(two)) - counter.count(self._format.write(one))

    def _rows_that_fit(self) -> int:
        """Most rows whose answers (twice the usual size) fit a safe share of the output budget with
        reasoning headroom on top, and whose texts fit a safe share of the context window, at most
        MAX_AUTO_ROWS."""
        spec, rules = self.spec, self.rules
        headroom = self._reasoning_headroom
        limit = spec.max_output_tokens or rules.max_output
        answers = SAFE_OUTPUT_SHARE if limit is None else min(SAFE_OUTPUT_SHARE, limit - headroom)
        fits = answers // (2 * output_tokens_per_row(spec))
        if rules.context:
            room = rules.context * SAFE_CONTEXT_SHARE - self._per_request_tokens() - answers - headroom
            fits = min(fits, int(room // ROW_INPUT_ALLOWANCE))
        return max(1, min(MAX_AUTO_ROWS, fits))

    def _rows_for_target(self, target: float) -> int:
        """Fewest rows per request that bring the overhead per row to ``target``, or as many as fit."""
        fits = self._rows_that_fit()
        room = target - self.framing_per_row()
        return min(fits, max(1, math.ceil(self._per_request_tokens() / room))) if room > 0 else fits

    def suggested_rows_per_request(self, target: float = OVERHEAD_TARGET) -> int | None:
        """For a job with a set number: the fewest rows per request that bring the overhead per row to
        ``target``, when that is more than now (and safe, see _rows_that_fit); else None."""
        if self.spec.rows_per_request == AUTO:
            return None
        multi = self if self.multi else RequestBuilder(replace(self.spec, rows_per_request=2))
        best = multi._rows_for_target(target)
        return best if best > self.rows_per_request else None

    @property
    def reasoning_tokens_per_request(self) -> int:
        """Hidden reasoning tokens one request is expected to spend (billed as output)."""
        return self.rules.expected_reasoning_tokens(self.effort)

    def body(self, rows: Sequence[RowInput]) -> dict[str, Any]:
        """The request body for these rows, exactly as the provider's direct endpoint takes it."""
        content = self.user_content(rows)
        body: dict[str, Any] = {"model": self.spec.model}
        if self.spec.provider == "anthropic":
            body["messages"] = [{"role": "user", "content": content}]
        elif self.uses_responses:
            body["input"] = [{"role": "user", "content": content}]
        else:
            body["messages"] = [
                {"role": "system", "content": self.system_prompt},
                {"role": "user", "content": content},
            ]
        body.update(self._static)
        return body

    def batch_line(self, custom_id: str, rows: Sequence[RowInput]) -> dict[str, Any]:
        """One entry of the provider's batch input (a JSONL line for OpenAI, a request for Anthropic)."""
        if not CUSTOM_ID.match(custom_id):
            raise ValueError(f"custom_id {custom_id!r} does not fit ^[a-zA-Z0-9_-]{{1,64}}$")
        if self.spec.provider == "anthropic":
            return {"custom_id": custom_id, "params": self.body(rows)}
        return {"custom_id": custom_id, "method": "POST", "url": self.url, "body": self.body(rows)}
