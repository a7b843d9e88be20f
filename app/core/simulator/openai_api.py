"""The OpenAI side: Files, Batches (validated like upstream) and direct chat/responses calls.

Bad input *content* does not fail ``create``: the batch is created and then turns ``failed`` with
line-numbered ``errors``, as upstream does. Output and error files appear among the files once
a batch ends, lines in processing order rather than input order.
"""

from __future__ import annotations

import json
import time
from typing import Any

from app.core.simulator import direct
from app.core.simulator.batches import BatchBook, Executed, Phase
from app.core.simulator.multipart import parse_form
from app.core.simulator.responder import CHAT, RESPONSES
from app.core.simulator.wire import (
    OPENAI,
    ApiError,
    Request,
    Response,
    Route,
    binary_response,
    error_body,
    json_response,
    new_id,
    paginate,
    require,
    stable_id,
    unix,
)

ENDPOINT_SHAPES = {"/v1/chat/completions": CHAT, "/v1/responses": RESPONSES}
FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MAX_TASKS = 50_000
#: Upstream reports a bounded number of validation errors; so does the simulator.
MAX_REPORTED_ERRORS = 100
DAY = 86_400
FILE_TTL = 30 * DAY
_STATUS = {
    "validating": "validating",
    "running": "in_progress",
    "finalizing": "finalizing",
    "done": "completed",
    "failed": "failed",
    "cancelling": "cancelling",
    "cancelled": "cancelled",
    "expired": "expired",
}
_UNRUN_ERRORS = {
    "expired": ("batch_expired", "This request could not be executed before the completion window expired."),
    "canceled": ("batch_cancelled", "The batch was cancelled before this request executed."),
}


def _problem(code: str, line: int | None, message: str, param: str | None = None) -> dict[str, Any]:
    return {"code": code, "line": line, "message": message, "param": param}


def read_input(data: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The requests of a batch input file and, if it is not acceptable, the upstream-style errors."""
    lines = [(n, line) for n, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1) if line.strip()]
    if not lines:
        return [], [_problem("empty_file", None, "The batch input file is empty.")]
    if len(lines) > MAX_TASKS:
        message = f"The batch has {len(lines):,} requests; the limit is {MAX_TASKS:,}."
        return [], [_problem("too_many_tasks", None, message)]
    requests: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    model = None
    for number, line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not isinstance(item, dict):
            errors.append(_problem("invalid_json_line", number, "This line is not parseable as valid JSON."))
            continue
        custom_id, url, body = item.get("custom_id"), item.get("url"), item.get("body")
        if not (isinstance(custom_id, str) and custom_id and item.get("method") == "POST" and isinstance(body, dict)):
            message = "Each line needs a string 'custom_id', 'method' \"POST\", a 'url' and an object 'body'."
            errors.append(_problem("invalid_request", number, message))
            continue
        if custom_id in seen:
            message = f"The custom_id '{custom_id}' is used more than once in this batch."
            errors.append(_problem("duplicate_custom_id", number, message, "custom_id"))
        if url != endpoint:
            message = f"The url '{url}' does not match the batch endpoint '{endpoint}'."
            errors.append(_problem("url_mismatch", number, message, "url"))
        if model is None:
            model = body.get("model")
        elif body.get("model") != model:
            message = f"All requests in a batch must use the same model ('{model}')."
            errors.append(_problem("model_mismatch", number, message, "body.model"))
        seen.add(custom_id)
        requests.append({"custom_id": custom_id, "url": endpoint, "body": body})
    return requests, errors[:MAX_REPORTED_ERRORS]


def _usage(items: list[Executed]) -> dict[str, Any]:
    """Batch ``usage`` summed over answered requests (chat and responses name tokens differently)."""
    totals = {"input": 0, "cached": 0, "output": 0, "reasoning": 0}
    for item in items:
        usage = (item.body or {}).get("usage") or {}
        details_in = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
        details_out = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
        totals["input"] += usage.get("prompt_tokens", usage.get("input_tokens", 0))
        totals["output"] += usage.get("completion_tokens", usage.get("output_tokens", 0))
        totals["cached"] += details_in.get("cached_tokens", 0)
        totals["reasoning"] += details_out.get("reasoning_tokens", 0)
    return {
        "input_tokens": totals["input"],
        "input_tokens_details": {"cached_tokens": totals["cached"]},
        "output_tokens": totals["output"],
        "output_tokens_details": {"reasoning_tokens": totals["reasoning"]},
        "total_tokens": totals["input"] + totals["output"],
    }


class OpenAIApi(BatchBook):
    kind = "openai_batches"
    prefix = "batch_"
    body_key = "body"

    def routes(self) -> list[Route]:
        return [
            ("POST", r"/v1/files", self.upload_file),
            ("GET", r"/v1/files", self.list_files),
            ("GET", r"/v1/files/(?P<file_id>[^/]+)", self.retrieve_file),
            ("GET", r"/v1/files/(?P<file_id>[^/]+)/content", self.file_content),
            ("DELETE", r"/v1/files/(?P<file_id>[^/]+)", self.delete_file),
            ("POST", r"/v1/batches", self.create_batch),
            ("GET", r"/v1/batches", self.list_batches),
            ("GET", r"/v1/batches/(?P<batch_id>[^/]+)", self.retrieve_batch),
            ("POST", r"/v1/batches/(?P<batch_id>[^/]+)/cancel", self.cancel_batch),
            ("POST", r"/v1/chat/completions", self.chat),
            ("POST", r"/v1/responses", self.responses),
        ]

    def shape(self, request: dict[str, Any]) -> str:
        return ENDPOINT_SHAPES[request["url"]]

    # ---- files ---------------------------------------------------------------------------------
    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.store.records("files")

    def add_file(self, data: bytes, filename: str, purpose: str, expires_at: int | None) -> dict[str, Any]:
        file_id = new_id("file-")
        self.store.put_blob(file_id, data)
        record = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": expires_at,
            "status_details": None,
            "seq": self.store.next_seq(),
        }
        self.files[file_id] = record
        self.store.save()
        return record

    def _file(self, file_id: str) -> dict[str, Any]:
        if file_id not in self.files:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return self.files[file_id]

    @staticmethod
    def _file_object(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "seq"}

    def upload_file(self, req: Request) -> Response:
        try:
            form = parse_form(req.body, req.headers.get("content-type", ""))
        except ValueError as exc:
            raise ApiError(400, f"Could not parse the multipart form: {exc}.") from exc
        upload = form.get("file")
        if upload is None or upload.filename is None:
            raise ApiError(400, "Missing required parameter: 'file'.", param="file")
        purpose = form["purpose"].data.decode() if "purpose" in form else ""
        if purpose not in FILE_PURPOSES:
            raise ApiError(400, f"Invalid value for 'purpose': {purpose!r}.", param="purpose")
        if purpose == "batch" and not upload.filename.endswith(".jsonl"):
            raise ApiError(400, "Invalid file format for Batch API. Must be .jsonl", param="file")
        now = int(time.time())
        expires_at = now + FILE_TTL if purpose == "batch" else None
        if "expires_after[seconds]" in form:
            anchor = form["expires_after[anchor]"].data.decode() if "expires_after[anchor]" in form else ""
            seconds = form["expires_after[seconds]"].data.decode()
            if anchor != "created_at" or not seconds.isdigit() or not 3600 <= int(seconds) <= 30 * DAY:
                raise ApiError(400, "expires_after needs anchor 'created_at' and 3600 to 2592000 seconds.",
                               param="expires_after")
            expires_at = now + int(seconds)
        return json_response(self._file_object(self.add_file(upload.data, upload.filename, purpose, expires_at)))

    def retrieve_file(self, req: Request, file_id: str) -> Response:
        return json_response(self._file_object(self._file(file_id)))

    def file_content(self, req: Request, file_id: str) -> Response:
        self._file(file_id)
        return binary_response(self.store.get_blob(file_id))

    def delete_file(self, req: Request, file_id: str) -> Response:
        self._file(file_id)
        del self.files[file_id]
        self.store.delete_blob(file_id)
        self.store.save()
        return json_response({"id": file_id, "object": "file", "deleted": True})

    def list_files(self, req: Request) -> Response:
        limit = req.int_query("limit", 10_000, 1, 10_000)
        order = req.query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(400, "Invalid 'order': expected 'asc' or 'desc'.", param="order")
        items = self.store.newest_first("files")
        if order == "asc":
            items.reverse()
        if req.query.get("purpose"):
            items = [f for f in items if f["purpose"] == req.query["purpose"]]
        page, has_more = paginate(items, limit, req.query.get("after"))
        return self._list([self._file_object(f) for f in page], has_more)

    @staticmethod
    def _list(data: list[dict[str, Any]], has_more: bool) -> Response:
        return json_response({
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        })

    # ---- batches -------------------------------------------------------------------------------
    def create_batch(self, req: Request) -> Response:
        body = req.json_object()
        require(body, "input_file_id", "endpoint", "completion_window")
        if body["completion_window"] != "24h":
            raise ApiError(400, "Invalid 'completion_window': only '24h' is supported.", param="completion_window")
        endpoint = body["endpoint"]
        if endpoint not in ENDPOINT_SHAPES:
            raise ApiError(400, f"Invalid 'endpoint': {endpoint!r}. The simulator supports "
                           f"{' and '.join(ENDPOINT_SHAPES)}.", param="endpoint")
        metadata = body.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict) and len(metadata) <= 16
            and all(len(k) <= 64 and isinstance(v, str) and len(v) <= 512 for k, v in metadata.items())
        ):
            raise ApiError(400, "Invalid 'metadata': at most 16 string pairs, keys up to 64 and values up to "
                           "512 characters.", param="metadata")
        file_id = body["input_file_id"]
        if self.files.get(file_id, {}).get("purpose") != "batch":
            raise ApiError(400, f"Invalid 'input_file_id': '{file_id}' is not an uploaded file with purpose "
                           "'batch'.", param="input_file_id")
        data = self.store.get_blob(file_id)
        requests, errors = read_input(data, endpoint)
        model = requests[0]["body"].get("model") if requests else None
        fate = self.scenario().batch_outcome
        if not errors and self._over_queue_limit(model, len(data) // 4):
            fate = "token_limit"
        if not errors and fate == "token_limit":
            errors = [_problem("token_limit_exceeded", None, "[simulated] Enqueued token limit reached for "
                               f"{requests[0]['body'].get('model')}. Please try again once some in_progress "
                               "batches have been completed.")]
        elif not errors and fate == "validation_failed":
            errors = [_problem("invalid_request", 1, "[simulated] The batch failed validation "
                               "(scenario batch_outcome 'validation_failed').")]
        fields = {
            "endpoint": endpoint,
            "input_file_id": file_id,
            "completion_window": "24h",
            "metadata": metadata,
            "model": model,
            "enqueued_tokens": len(data) // 4,
        }
        record = self.create([] if errors else requests, fields, errors or None)
        return json_response(self._batch_object(record, self.phase(record, record["created_at"])))

    def _over_queue_limit(self, model: str | None, tokens: int) -> bool:
        """Whether ``tokens`` more would take the model's unfinished batches over the enqueued-token limit."""
        limit = self.scenario().enqueued_token_limit
        if limit is None:
            return False
        now = time.time()
        queued = sum(
            r.get("enqueued_tokens", 0)
            for r in self.store.records(self.kind).values()
            if r["model"] == model and not r["errors"] and not self.phase(r, now).terminal
        )
        return queued + tokens > limit

    def retrieve_batch(self, req: Request, batch_id: str) -> Response:
        return json_response(self._batch_object(*self.view(batch_id, poll=True)))

    def cancel_batch(self, req: Request, batch_id: str) -> Response:
        return json_response(self._batch_object(*self.cancel(batch_id)))

    def list_batches(self, req: Request) -> Response:
        page, has_more = self.page(req.int_query("limit", 20, 1, 100), req.query.get("after"))
        return self._list([self._batch_object(record, phase) for record, phase in page], has_more)

    def _batch_object(self, record: dict[str, Any], phase: Phase) -> dict[str, Any]:
        fates = self.fates(record, phase)
        answered = [item for item, fate in fates if fate == "succeeded"]
        final = record["final"] or {}
        times = record["times"]
        created = record["created_at"]
        return {
            "id": record["id"],
            "object": "batch",
            "endpoint": record["endpoint"],
            "model": record["model"],
            "errors": {"object": "list", "data": record["errors"]} if phase.stage == "failed" else None,
            "input_file_id": record["input_file_id"],
            "completion_window": record["completion_window"],
            "status": _STATUS[phase.stage],
            "output_file_id": final.get("output_file_id"),
            "error_file_id": final.get("error_file_id"),
            "created_at": unix(created),
            "in_progress_at": unix(times.get("running")),
            "expires_at": unix(created + DAY),
            "finalizing_at": unix(times.get("finalizing")),
            "completed_at": unix(times.get("done")),
            "failed_at": unix(times.get("failed")),
            "expired_at": unix(times.get("expired")),
            "cancelling_at": unix(times.get("cancelling")),
            "cancelled_at": unix(times.get("cancelled")),
            "request_counts": {
                "total": 0 if phase.stage == "validating" else record["total"],
                "completed": len(answered),
                "failed": sum(1 for _, fate in fates if fate not in (None, "succeeded")),
            },
            "metadata": record["metadata"],
            "usage": _usage(answered),
        }

    def finalize(self, record: dict[str, Any], phase: Phase) -> dict[str, Any]:
        """Write the output file (answered requests) and the error file (everything else that ended)."""
        output: list[str] = []
        errors: list[str] = []
        for item, fate in self.fates(record, phase):
            if fate is None:
                continue
            line: dict[str, Any] = {
                "id": stable_id("batch_req_", record["id"], item.custom_id),
                "custom_id": item.custom_id,
                "response": None,
                "error": None,
            }
            request_id = stable_id("req_", record["id"], item.custom_id)
            if fate == "succeeded":
                line["response"] = {"status_code": 200, "request_id": request_id, "body": item.body}
            elif fate == "errored" and item.error is not None:
                line["response"] = {"status_code": item.error.status, "request_id": request_id,
                                    "body": error_body(item.error, OPENAI, None)}
            else:
                code, message = _UNRUN_ERRORS[fate]
                line["error"] = {"code": code, "message": message}
            (output if fate == "succeeded" else errors).append(json.dumps(line, ensure_ascii=False))
        return {
            "output_file_id": self._result_file(record, "output", output),
            "error_file_id": self._result_file(record, "error", errors),
        }

    def _result_file(self, record: dict[str, Any], kind: str, lines: list[str]) -> str | None:
        if not lines:
            return None
        data = ("\n".join(lines) + "\n").encode()
        return self.add_file(data, f"{record['id']}_{kind}.jsonl", "batch_output", int(time.time()) + FILE_TTL)["id"]

    # ---- direct calls --------------------------------------------------------------------------
    def chat(self, req: Request) -> Response:
        return json_response(direct.answer(self.store, self.scenario(), CHAT, req.json_object()))

    def responses(self, req: Request) -> Response:
        return json_response(direct.answer(self.store, self.scenario(), RESPONSES, req.json_object()))
