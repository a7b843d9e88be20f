"""The Anthropic side: Message Batches (validated at create, like upstream) and direct messages.

Anthropic batches carry no metadata, so BatchLab recognises its own after a crash by the
custom_ids in the results; the requests are stored so results can always be produced. Results
exist only once a batch has ended, and ``results_url`` points back at this server's own host.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from app.core.simulator import direct
from app.core.simulator.batches import BatchBook, Phase
from app.core.simulator.responder import MESSAGES
from app.core.simulator.wire import (
    ANTHROPIC,
    ApiError,
    Handler,
    Request,
    Response,
    Route,
    binary_response,
    error_body,
    json_response,
    rfc3339,
    stable_id,
)

VERSIONS = ("2023-06-01", "2026-10-21")
#: API version 2026-10-21 (SDK 2.x) removed these sampling parameters.
REMOVED_IN_2026 = ("temperature", "top_p", "top_k")
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_REQUESTS = 100_000
DAY = 86_400
_ENDED = ("done", "cancelled", "expired")


def check_params(params: Any, where: str, version: str, version_checks: bool) -> None:
    """Reject a Messages body the API would reject; ``where`` prefixes the field path in messages."""
    prefix = f"{where}." if where else ""
    if not isinstance(params, dict):
        raise ApiError(400, f"{where or 'body'}: Input should be a valid dictionary")
    for name in ("model", "max_tokens", "messages"):
        if name not in params:
            raise ApiError(400, f"{prefix}{name}: Field required")
    if version_checks and version == "2026-10-21":
        for name in REMOVED_IN_2026:
            if name in params:
                raise ApiError(400, f"{prefix}{name}: Extra inputs are not permitted")


class AnthropicApi(BatchBook):
    kind = "anthropic_batches"
    prefix = "msgbatch_"
    body_key = "params"

    def routes(self) -> list[Route]:
        routes: list[Route] = [
            ("POST", r"/v1/messages/batches", self.create_batch),
            ("GET", r"/v1/messages/batches", self.list_batches),
            ("GET", r"/v1/messages/batches/(?P<batch_id>[^/]+)", self.retrieve_batch),
            ("POST", r"/v1/messages/batches/(?P<batch_id>[^/]+)/cancel", self.cancel_batch),
            ("DELETE", r"/v1/messages/batches/(?P<batch_id>[^/]+)", self.delete_batch),
            ("GET", r"/v1/messages/batches/(?P<batch_id>[^/]+)/results", self.results),
            ("POST", r"/v1/messages", self.message),
        ]
        return [(method, pattern, self._versioned(handler)) for method, pattern, handler in routes]

    @staticmethod
    def _versioned(handler: Handler) -> Handler:
        """Every Anthropic call must name an API version the service knows (both SDK generations' are)."""

        def checked(req: Request, **groups: str) -> Response:
            version = req.headers.get("anthropic-version")
            if version is None:
                raise ApiError(400, "anthropic-version: header is required")
            if version not in VERSIONS:
                raise ApiError(400, f"anthropic-version: {version!r} is not a valid version")
            return handler(req, **groups)

        return checked

    def shape(self, request: dict[str, Any]) -> str:
        return MESSAGES

    # ---- batches -------------------------------------------------------------------------------
    def create_batch(self, req: Request) -> Response:
        requests = req.json_object().get("requests")
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, "requests: List should have at least 1 item after validation, not 0")
        if len(requests) > MAX_REQUESTS:
            raise ApiError(400, f"requests: List should have at most {MAX_REQUESTS} items after validation, "
                           f"not {len(requests)}")
        scenario = self.scenario()
        seen: set[str] = set()
        for index, request in enumerate(requests):
            custom_id = request.get("custom_id") if isinstance(request, dict) else None
            if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
                raise ApiError(400, f"requests.{index}.custom_id: String should match pattern "
                               f"'{CUSTOM_ID.pattern}'")
            if custom_id in seen:
                raise ApiError(400, f"requests.{index}.custom_id: Duplicate custom_id '{custom_id}'; custom_id "
                               "values must be unique within a batch")
            seen.add(custom_id)
            check_params(request.get("params"), f"requests.{index}.params", req.headers["anthropic-version"],
                         scenario.version_checks)
        if scenario.batch_outcome == "validation_failed":
            raise ApiError(400, "[simulated] The batch was rejected (scenario batch_outcome 'validation_failed').")
        if scenario.batch_outcome == "token_limit":
            raise ApiError(429, "[simulated] Too many requests are already processing in your batch queue; try "
                           "again once some batches have ended.", headers={"x-should-retry": "false"})
        record = self.create([{"custom_id": r["custom_id"], "params": r["params"]} for r in requests], {})
        return json_response(self._batch_object(req, record, self.phase(record, record["created_at"])))

    def retrieve_batch(self, req: Request, batch_id: str) -> Response:
        return json_response(self._batch_object(req, *self.view(batch_id, poll=True)))

    def cancel_batch(self, req: Request, batch_id: str) -> Response:
        return json_response(self._batch_object(req, *self.cancel(batch_id)))

    def list_batches(self, req: Request) -> Response:
        limit = req.int_query("limit", 20, 1, 1000)
        page, has_more = self.page(limit, req.query.get("after_id"), req.query.get("before_id"))
        data = [self._batch_object(req, record, phase) for record, phase in page]
        return json_response({
            "data": data,
            "has_more": has_more,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        })

    def delete_batch(self, req: Request, batch_id: str) -> Response:
        record, phase = self.view(batch_id)
        if phase.stage not in _ENDED:
            raise ApiError(400, f"Batch '{batch_id}' is still processing; cancel it and wait until it has ended "
                           "before deleting it.")
        self.store.delete_blob(record["final"]["results_blob"])
        self.delete(batch_id)
        return json_response({"id": batch_id, "type": "message_batch_deleted"})

    def results(self, req: Request, batch_id: str) -> Response:
        record, phase = self.view(batch_id)
        if phase.stage not in _ENDED:
            raise ApiError(400, f"Batch '{batch_id}' has not ended yet; results are available once it has.")
        return binary_response(self.store.get_blob(record["final"]["results_blob"]), "application/binary")

    def _batch_object(self, req: Request, record: dict[str, Any], phase: Phase) -> dict[str, Any]:
        ended = phase.stage in _ENDED
        counts = {"processing": 0} | self.counts(record, phase) if ended else {
            "processing": record["total"], "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        times = record["times"]
        created = record["created_at"]
        return {
            "id": record["id"],
            "type": "message_batch",
            "processing_status": "ended" if ended else "canceling" if phase.stage == "cancelling" else "in_progress",
            "request_counts": counts,
            "ended_at": rfc3339(times.get(phase.stage)) if ended else None,
            "created_at": rfc3339(created),
            "expires_at": rfc3339(created + DAY),
            "archived_at": None,
            "cancel_initiated_at": rfc3339(times.get("cancelling")),
            "results_url": f"{req.base_url}/v1/messages/batches/{record['id']}/results" if ended else None,
        }

    def finalize(self, record: dict[str, Any], phase: Phase) -> dict[str, Any]:
        """Write the results stream: one line per request, in processing order."""
        lines = []
        for item, fate in self.fates(record, phase):
            result: dict[str, Any] = {"type": fate}
            if fate == "succeeded":
                result["message"] = item.body
            elif fate == "errored" and item.error is not None:
                result["error"] = error_body(item.error, ANTHROPIC, stable_id("req_", record["id"], item.custom_id))
            lines.append(orjson.dumps({"custom_id": item.custom_id, "result": result}))
        name = f"{record['id']}.results.jsonl"
        self.store.put_blob(name, b"\n".join(lines) + b"\n")
        return {"results_blob": name}

    # ---- direct calls --------------------------------------------------------------------------
    def message(self, req: Request) -> Response:
        body = req.json_object()
        scenario = self.scenario()
        check_params(body, "", req.headers["anthropic-version"], scenario.version_checks)
        return json_response(direct.answer(self.store, scenario, MESSAGES, body))
