"""Quick, non-batch calls (pilots and connection tests): direct answers and the model lists.

They follow the same scenario as batches (text rules and the default outcome; there is no
custom_id), so a pilot shows the same refusals and failures the batch would.
"""

from __future__ import annotations

import time
from typing import Any

from app.core.build.pricing import default_models
from app.core.simulator.responder import MESSAGES, Call, read_prompt, respond
from app.core.simulator.scenario import UNRUN_OUTCOMES, Scenario
from app.core.simulator.store import Store
from app.core.simulator.wire import ApiError, new_id, rfc3339

#: BatchLab's default models, then models that cannot code a text (embeddings, speech, moderation,
#: images), as a real account lists them, so "Refresh from provider" has something to leave out.
OPENAI_MODELS = (*default_models("openai"), "text-embedding-3-small", "whisper-1", "omni-moderation-latest",
                 "gpt-image-1")
ANTHROPIC_MODELS = tuple(default_models("anthropic"))
#: A fixed creation time for the listed models (2026-01-01), so listings are stable.
_MODELS_CREATED = 1767225600


def answer(store: Store, scenario: Scenario, shape: str, body: dict[str, Any]) -> dict[str, Any]:
    """One direct answer; raises ``ApiError`` for the error outcomes and invalid bodies."""
    if body.get("stream"):
        raise ApiError(400, "stream: the simulated service does not stream responses", param="stream")
    prompt = read_prompt(shape, body)
    outcome = scenario.outcome_for(None, prompt.user)
    store.counters["direct_calls"] += 1
    cache_hit = shape == MESSAGES and prompt.system in store.warm_prompts
    if shape == MESSAGES and prompt.system:
        store.warm_prompts.add(prompt.system)
    call = Call(new_id("direct_"), time.time(), cache_hit=cache_hit, batch=False)
    return respond(shape, body, "success" if outcome in UNRUN_OUTCOMES else outcome, call)


def model_list(anthropic: bool) -> dict[str, Any]:
    """``GET /v1/models`` in the OpenAI list shape, or Anthropic's when it asks."""
    if anthropic:
        created = rfc3339(_MODELS_CREATED)
        data: list[dict[str, Any]] = [
            {"type": "model", "id": m, "display_name": m.replace("-", " ").title(), "created_at": created}
            for m in ANTHROPIC_MODELS
        ]
        return {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
    data = [{"id": m, "object": "model", "created": _MODELS_CREATED, "owned_by": "openai"} for m in OPENAI_MODELS]
    return {"object": "list", "data": data}
