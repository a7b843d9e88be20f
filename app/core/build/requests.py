"""Turn rows into the exact request objects each provider's batch API accepts.

The instructions are the system prompt and identical in every request of a job, so the providers'
prompt caching applies (Anthropic needs ``cache_control`` on the system block for that). Model
rules are applied here, before anything is sent, and each adjustment is reported as a note the
preview shows, instead of letting a whole batch fail at the provider.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from app.core.build.schema import RESULTS_KEY, ROW_ID_KEY, SCHEMA_NAME, output_schema
from app.core.spec import JobSpec

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
OPENAI_URLS = {"chat": "/v1/chat/completions", "responses": "/v1/responses"}
MULTI_ROW_NOTE = (
    "\n\nEach message holds several rows as a JSON list of objects with an \"id\" and a \"text\". "
    f'Answer every row once in "{RESULTS_KEY}", copying its "{ROW_ID_KEY}" exactly.'
)
TOOL_DESCRIPTION = "Record the coding of the text(s) in the message."
#: Rough output tokens one answer of each field type needs; used only for a default output budget.
_FIELD_OUTPUT_TOKENS = {"category": 8, "number": 8, "integer": 6, "boolean": 4, "list": 30, "text": 120}
_REASONING_MODEL = re.compile(r"^(o\d|gpt-(5|[6-9]|\d{2}))", re.IGNORECASE)


def is_reasoning_model(model: str) -> bool:
    """OpenAI's o-series and gpt-5 and later: max_completion_tokens only, temperature fixed at 1."""
    bare = model.split("/")[-1]
    return bool(_REASONING_MODEL.match(bare)) and "chat" not in bare


def anthropic_rejects_temperature() -> bool:
    """Anthropic SDK 2.x sends API version 2026-10-21, which rejects temperature/top_p/top_k."""
    return int(anthropic_sdk_version().split(".")[0]) >= 2


def anthropic_sdk_version() -> str:
    """The installed SDK's version, read without importing it (importing anthropic takes seconds)."""
    return version("anthropic")


def output_tokens_per_row(spec: JobSpec) -> int:
    """Visible output one row's answer takes, roughly (reasoning tokens come on top)."""
    return 20 + sum(_FIELD_OUTPUT_TOKENS.get(f.type, 50) for f in spec.fields)


def default_output_budget(spec: JobSpec) -> int:
    """A generous output budget for one request, from the fields and the rows it carries."""
    return max(1024, 2 * output_tokens_per_row(spec) * spec.rows_per_request)


@dataclass(frozen=True)
class RowInput:
    """One row as it goes into a request: its ID (as text) and its rendered template."""

    row_id: str
    text: str


@dataclass
class RequestBuilder:
    """Builds every request of a job from one spec; ``notes`` say what model rules changed."""

    spec: JobSpec
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        spec = self.spec
        self.multi = spec.rows_per_request > 1
        self.system_prompt = spec.instructions + (MULTI_ROW_NOTE if self.multi else "")
        self.schema = output_schema(spec.fields, spec.rows_per_request)
        self.temperature = spec.temperature
        self.max_output = spec.max_output_tokens
        if spec.provider == "anthropic":
            if self.max_output is None:
                self.max_output = default_output_budget(spec)
                self.notes.append(
                    f"Anthropic needs an output budget; BatchLab uses {self.max_output} tokens per request."
                )
            if self.temperature is not None and anthropic_rejects_temperature():
                self.notes.append(
                    f"Temperature {self.temperature:g} is left out: the Anthropic API version this "
                    f"BatchLab sends (SDK {anthropic_sdk_version()}) no longer accepts a temperature."
                )
                self.temperature = None
        elif spec.provider == "openai" and is_reasoning_model(spec.model):
            if self.temperature is not None and self.temperature != 1:
                self.notes.append(
                    f"Temperature {self.temperature:g} is left out: {spec.model} is a reasoning model "
                    "and only runs at its default temperature (1)."
                )
                self.temperature = None
            if self.max_output is not None:
                self.notes.append(
                    f"For {spec.model} the output budget ({self.max_output}) also covers the model's "
                    "hidden reasoning; if rows come back truncated, raise it."
                )
        self._static = self._static_body()

    # ---- message content -------------------------------------------------------------------
    def user_content(self, rows: Sequence[RowInput]) -> str:
        """The user message: the row's text, or the rows as a JSON list of {id, text}."""
        if not self.multi:
            return rows[0].text
        return json.dumps([{ROW_ID_KEY: r.row_id, "text": r.text} for r in rows], ensure_ascii=False)

    # ---- bodies ------------------------------------------------------------------------------
    def _static_body(self) -> dict[str, Any]:
        """The part of every body that does not depend on the rows, built once."""
        spec = self.spec
        body: dict[str, Any] = {"model": spec.model}
        if spec.provider == "anthropic":
            body["max_tokens"] = self.max_output
            body["system"] = [
                {"type": "text", "text": self.system_prompt, "cache_control": {"type": "ephemeral"}}
            ]
            body["tools"] = [{"name": SCHEMA_NAME, "description": TOOL_DESCRIPTION, "input_schema": self.schema}]
            body["tool_choice"] = {"type": "tool", "name": SCHEMA_NAME}
        elif spec.endpoint == "responses" and spec.provider == "openai":
            body["instructions"] = self.system_prompt
            body["text"] = {
                "format": {"type": "json_schema", "name": SCHEMA_NAME, "strict": True, "schema": self.schema}
            }
            if self.max_output is not None:
                body["max_output_tokens"] = self.max_output
        else:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": self.schema},
            }
            if self.max_output is not None:
                key = "max_completion_tokens" if spec.provider == "openai" else "max_tokens"
                body[key] = self.max_output
        if self.temperature is not None:
            body["temperature"] = self.temperature
        return body

    @property
    def url(self) -> str:
        """The OpenAI batch ``url``/``endpoint`` of every line (OpenAI-style providers only)."""
        return OPENAI_URLS["responses" if self.uses_responses else "chat"]

    @property
    def uses_responses(self) -> bool:
        return self.spec.provider == "openai" and self.spec.endpoint == "responses"

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
