"""The job spec: one saved JSON document that says what to code, how, and with which model.

A person (or the GUI) writes it once; the same spec reruns the same job from the command line.
Loading never stops at the first mistake: every problem is collected and reported together,
in plain words, so a person can fix the whole file in one go.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import SpecError, StorageError

if TYPE_CHECKING:
    from app.core.data import LoadOptions

FIELD_TYPES = ("category", "number", "integer", "boolean", "list", "text")
PROVIDERS = ("openai", "anthropic", "compatible", "demo")
ENDPOINTS = ("chat", "responses")
#: Reasoning effort levels, least to most (the providers' own names; each model accepts some of them).
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: Names the request format itself uses inside each answer; a field may not take them.
RESERVED_FIELD_NAMES = frozenset({"id", "results"})
#: An OpenAI-compatible server's address as a spec (and the Model step) accepts it.
SERVER_ADDRESS = re.compile(r"^https?://\S+$")
#: ``rows_per_request`` value that lets BatchLab choose the number from the model and the prompt.
AUTO = "auto"
#: How several rows are written into one request's message (see app.core.build.rowformat).
ROW_FORMATS = ("json", "compact")


def default_row_format(rows_per_request: int | str) -> str:
    """The row format of a spec that names none: compact with AUTO rows per request; json with a
    number, so specs written before the compact format build the same requests."""
    return "compact" if rows_per_request == AUTO else "json"


@dataclass
class FieldSpec:
    """One output field the model fills in for every row."""

    name: str
    type: str
    description: str = ""
    choices: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    #: A text field whose answer must be a verbatim quote of the row's text (checked after the run).
    verbatim_quote: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        if self.choices:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.verbatim_quote:
            out["verbatim_quote"] = True
        return out


@dataclass
class JobSpec:
    """Everything needed to build, run and rerun a job. Paths are absolute once loaded."""

    name: str
    data: Path
    instructions: str
    input_template: str
    fields: list[FieldSpec]
    provider: str = "openai"
    model: str = "gpt-5.4-mini"
    endpoint: str = "chat"
    sheet: str | None = None
    #: How to read the data when detection is wrong (see app.core.data.LoadOptions); None: detect.
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    #: Send rows whose letters could not be read (shown as "\ufffd") as they are, listed in the
    #: manifest, instead of stopping.
    accept_unreadable_rows: bool = False
    id_column: str | None = None
    #: A whole number, or AUTO: as many as bring the overhead per row to BatchLab's target.
    rows_per_request: int | str = AUTO
    #: "json", "compact", or None: compact with AUTO rows per request, else json (older specs build
    #: the same requests as before).
    row_format: str | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    base_url: str | None = None
    #: How much the model deliberates ("none" … "max"); None: the lowest the model accepts.
    reasoning_effort: str | None = None

    def to_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        """The JSON form; with ``relative_to``, the data path is written relative to that folder."""
        out = asdict(self)
        data = self.data
        if relative_to is not None:
            try:
                data = self.data.relative_to(relative_to)
            except ValueError:
                pass
        out["data"] = str(data)
        out["fields"] = [f.to_dict() for f in self.fields]
        for key in ("encoding", "delimiter", "header_row", "accept_unreadable_rows"):
            if not out[key]:
                del out[key]
        if out["base_url"] is None:
            del out["base_url"]
        for key in ("reasoning_effort", "row_format"):
            if out[key] is None:
                del out[key]
        return out

    @property
    def multi_row(self) -> bool:
        """Whether requests carry rows as a list the answer echoes by ID (always so with AUTO, so
        reading answers never depends on the number chosen)."""
        return self.rows_per_request == AUTO or int(self.rows_per_request) > 1

    @property
    def effective_row_format(self) -> str:
        """The row format requests use: the chosen one, else compact for AUTO and json for a number."""
        return self.row_format or default_row_format(self.rows_per_request)

    def load_options(self) -> LoadOptions:
        """How to read this spec's data file (the overrides saved with it)."""
        from app.core.data import LoadOptions

        return LoadOptions(self.encoding, self.delimiter, self.header_row, self.sheet)

    def save(self, path: Path) -> None:
        """Write the spec as pretty JSON, the data path relative to the spec's folder when possible."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(relative_to=path.parent.resolve()), indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")


_SPEC_KEYS: dict[str, tuple[type | tuple[type, ...], bool]] = {
    # key: (accepted JSON types, required)
    "name": (str, True),
    "data": (str, True),
    "sheet": ((str, type(None)), False),
    "encoding": ((str, type(None)), False),
    "delimiter": ((str, type(None)), False),
    "header_row": ((int, type(None)), False),
    "accept_unreadable_rows": (bool, False),
    "id_column": ((str, type(None)), False),
    "instructions": (str, True),
    "input_template": (str, True),
    "fields": (list, True),
    "provider": (str, True),
    "model": (str, True),
    "endpoint": ((str, type(None)), False),
    "rows_per_request": ((int, str), False),
    "row_format": ((str, type(None)), False),
    "max_output_tokens": ((int, type(None)), False),
    "temperature": ((int, float, type(None)), False),
    "base_url": ((str, type(None)), False),
    "reasoning_effort": ((str, type(None)), False),
}
_FIELD_KEYS: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "name": (str, True),
    "type": (str, True),
    "description": ((str, type(None)), False),
    "choices": ((list, type(None)), False),
    "minimum": ((int, float, type(None)), False),
    "maximum": ((int, float, type(None)), False),
    "verbatim_quote": (bool, False),
}
#: What a key takes, in words, where its JSON types alone would mislead.
_KEY_WORDS = {"rows_per_request": f'a whole number or "{AUTO}"'}
_JSON_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", list: "a list", type(None): "null"}


def _type_words(types: type | tuple[type, ...]) -> str:
    kinds = types if isinstance(types, tuple) else (types,)
    words = [_JSON_TYPE_NAMES[t] for t in kinds if t is not type(None)]
    return " or ".join(dict.fromkeys(words))


def _is_instance(value: Any, types: type | tuple[type, ...]) -> bool:
    kinds = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool):  # JSON true/false are not numbers
        return bool in kinds
    return isinstance(value, kinds)


def _check_keys(obj: dict[str, Any], allowed: dict[str, Any], where: str, problems: list[str]) -> None:
    for key in obj:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(f'{where}unknown setting "{key}"{hint}.')
    for key, (types, required) in allowed.items():
        if key not in obj:
            if required:
                problems.append(f'{where}"{key}" is missing.')
        elif not _is_instance(obj[key], types):
            words = _KEY_WORDS.get(key) or _type_words(types)
            problems.append(f'{where}"{key}" must be {words}, not {json.dumps(obj[key])[:40]}.')


def _parse_field(raw: Any, index: int, problems: list[str]) -> FieldSpec | None:
    where = f"Output field {index + 1}: "
    if not isinstance(raw, dict):
        problems.append(f"{where}must be an object with a name and a type.")
        return None
    start = len(problems)
    _check_keys(raw, _FIELD_KEYS, where, problems)
    if len(problems) > start and not (isinstance(raw.get("name"), str) and isinstance(raw.get("type"), str)):
        return None
    name, kind = raw["name"], raw["type"]
    where = f'Output field "{name}": '
    if not FIELD_NAME.match(name):
        problems.append(
            f"{where}the name must start with a letter and use only letters, digits and _ (at most 64)."
        )
    elif name.lower() in RESERVED_FIELD_NAMES:
        problems.append(f'{where}"{name}" is used by BatchLab itself; choose another name.')
    if kind not in FIELD_TYPES:
        problems.append(f'{where}type "{kind}" is not one of {", ".join(FIELD_TYPES)}.')
    choices = raw.get("choices") or []
    if not all(isinstance(c, str) and c.strip() for c in choices):
        problems.append(f"{where}every choice must be non-empty text.")
        choices = []
    elif len({c.strip().lower() for c in choices}) != len(choices):
        problems.append(f"{where}choices must be different from each other.")
    if kind == "category" and not choices:
        problems.append(f"{where}a category needs a list of choices.")
    if kind == "list" and raw.get("choices") is not None and not choices:
        problems.append(f"{where}the list of choices is empty.")
    if choices and kind not in ("category", "list"):
        problems.append(f'{where}choices only apply to "category" and "list" fields.')
    minimum, maximum = raw.get("minimum"), raw.get("maximum")
    if (minimum is not None or maximum is not None) and kind not in ("number", "integer"):
        problems.append(f'{where}minimum and maximum only apply to "number" and "integer" fields.')
    if _is_instance(minimum, (int, float)) and _is_instance(maximum, (int, float)) and minimum > maximum:
        problems.append(f"{where}minimum ({minimum}) is larger than maximum ({maximum}).")
    if raw.get("verbatim_quote") is True and kind != "text":
        problems.append(f'{where}"verbatim_quote" only applies to "text" fields.')
    return FieldSpec(
        name=name,
        type=kind,
        description=raw.get("description") or "",
        choices=[c.strip() for c in choices],
        minimum=minimum,
        maximum=maximum,
        verbatim_quote=raw.get("verbatim_quote") is True,
    )


def parse_spec(raw: Any, base_dir: Path, source: str = "", *, require_data: bool = True) -> JobSpec:
    """Check a spec's JSON form and build a :class:`JobSpec`; raise one SpecError listing every problem.

    Only the spec itself is checked here; whether the template's placeholders name real columns
    needs the data, see :func:`app.core.build.template.check_placeholders`.
    """
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise SpecError(["The spec must be a JSON object ({ ... }) with the job's settings."], source)
    bad_numbers = _non_finite_keys(raw)
    if bad_numbers:
        raise SpecError(
            [f'"{key}" is not a finite number (NaN and Infinity are not valid JSON); give a number.' for key in bad_numbers],
            source,
        )
    _check_keys(raw, _SPEC_KEYS, "", problems)

    def get(key: str, default: Any = None) -> Any:
        types, _ = _SPEC_KEYS[key]
        value = raw.get(key, default)
        return value if _is_instance(value, types) else default

    fields: list[FieldSpec] = []
    for i, item in enumerate(get("fields", []) or []):
        parsed = _parse_field(item, i, problems)
        if parsed is not None:
            fields.append(parsed)
    if "fields" in raw and isinstance(raw["fields"], list) and not raw["fields"]:
        problems.append("Add at least one output field: what should the model fill in for each row?")
    seen: dict[str, str] = {}
    for f in fields:
        key = f.name.lower()
        if key in seen:
            problems.append(f'Two output fields are called "{f.name}"; every field needs its own name.')
        seen[key] = f.name

    provider = get("provider", "openai")
    if "provider" in raw and provider not in PROVIDERS:
        problems.append(f'"provider" must be one of {", ".join(PROVIDERS)}, not "{provider}".')
    endpoint = get("endpoint") or "chat"
    if endpoint not in ENDPOINTS:
        problems.append(f'"endpoint" must be "chat" or "responses", not "{endpoint}".')
    if provider == "anthropic" and raw.get("endpoint") not in (None, "chat"):
        problems.append('"endpoint" applies to OpenAI only; leave it out for Anthropic.')
    if provider == "compatible" and not get("base_url"):
        problems.append('An OpenAI-compatible provider needs "base_url" (the server address, ending in /v1).')
    base_url = get("base_url")
    if base_url and not SERVER_ADDRESS.match(base_url):
        problems.append('"base_url" must start with http:// or https:// and hold no spaces.')
    rows_per_request = get("rows_per_request", AUTO)
    if isinstance(rows_per_request, str) and rows_per_request != AUTO:
        problems.append(f'"rows_per_request" must be a whole number or "{AUTO}", not {json.dumps(rows_per_request)[:40]}.')
    elif isinstance(rows_per_request, int) and rows_per_request < 1:
        problems.append('"rows_per_request" must be at least 1.')
    elif isinstance(rows_per_request, int) and rows_per_request > 100:
        problems.append('"rows_per_request" is at most 100: more rows per request make answers unreliable.')
    row_format = get("row_format")
    if row_format is not None and row_format not in ROW_FORMATS:
        problems.append(f'"row_format" must be one of {", ".join(ROW_FORMATS)} (or null), not "{row_format}".')
    max_output = get("max_output_tokens")
    if max_output is not None and max_output < 1:
        problems.append('"max_output_tokens" must be at least 1 (or null for BatchLab\'s default).')
    temperature = get("temperature")
    if temperature is not None and not 0 <= temperature <= 2:
        problems.append('"temperature" must be between 0 and 2 (or null for the model\'s default).')
    effort = get("reasoning_effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        problems.append(f'"reasoning_effort" must be one of {", ".join(REASONING_EFFORTS)} (or null for the lowest '
                        f'the model accepts), not "{effort}".')
    header_row = get("header_row")
    if header_row is not None and header_row < 1:
        problems.append('"header_row" is the spreadsheet row with the column names: 1 or more (or null to detect it).')
    delimiter = get("delimiter")
    if delimiter is not None and len(delimiter) != 1:
        problems.append('"delimiter" must be one character, such as "," or ";" (or null to detect it).')
    for key in ("name", "instructions", "input_template", "model", "data"):
        value = raw.get(key)
        if isinstance(value, str) and not value.strip():
            problems.append(f'"{key}" is empty.')
    data = get("data") or ""
    data_path = (base_dir / data).resolve() if data else base_dir
    if data and require_data and not data_path.is_file():
        problems.append(f'The data file "{data}" was not found (looked in {data_path.parent}).')
    if problems:
        raise SpecError(problems, source)
    return JobSpec(
        name=raw["name"].strip(),
        data=data_path,
        sheet=get("sheet"),
        encoding=get("encoding"),
        delimiter=delimiter,
        header_row=header_row,
        accept_unreadable_rows=get("accept_unreadable_rows", False),
        id_column=get("id_column"),
        instructions=raw["instructions"],
        input_template=raw["input_template"],
        fields=fields,
        provider=provider,
        model=raw["model"].strip(),
        endpoint=endpoint,
        rows_per_request=rows_per_request,
        row_format=row_format,
        max_output_tokens=max_output,
        temperature=float(temperature) if temperature is not None else None,
        base_url=base_url,
        reasoning_effort=effort,
    )


def load_spec(path: Path, *, require_data: bool = True) -> JobSpec:
    """Read a spec file; paths inside it resolve relative to the file's folder.

    ``require_data=False`` reads a job's saved spec whose data file may be absent: a replication
    package imported without its data still shows its rows, figures and report.
    """
    path = Path(path)
    if path.is_dir():
        raise SpecError([f'"{path}" is a folder, not a spec file; give the path of the .json file.'])
    if not path.is_file():
        raise SpecError([f'The spec file "{path}" was not found.'])
    try:
        text = path.read_bytes().decode("utf-8-sig")
        raw = json.loads(text, parse_constant=_NonFinite, parse_float=_finite_or_marker)
    except OSError as exc:
        raise SpecError([f"The spec file cannot be read: {StorageError.reason(exc)}."], path.name) from None
    except UnicodeDecodeError:
        raise SpecError(["The spec file is not UTF-8 text; save it as UTF-8 and try again."], path.name) from None
    except json.JSONDecodeError as exc:
        raise SpecError(
            [f"The spec is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."], path.name
        ) from None
    return parse_spec(raw, path.parent.resolve(), path.name, require_data=require_data)


class _NonFinite(str):
    """Stands for a NaN or Infinity read from a spec, so the check can name its key.

    Python's json module reads these non-standard constants; left in, they would be written into
    request files that are then not valid JSON.
    """


def _finite_or_marker(text: str) -> float | _NonFinite:
    value = float(text)  # 1e999 reads as infinity
    return value if math.isfinite(value) else _NonFinite(text)


def _non_finite_keys(raw: Any, where: str = "") -> list[str]:
    """Where NaN, Infinity or an overflowing number sits in a parsed spec, as readable key paths."""
    if isinstance(raw, _NonFinite) or (isinstance(raw, float) and not math.isfinite(raw)):
        return [where or "the spec"]
    if isinstance(raw, dict):
        items = [(f"{where}.{k}" if where else str(k), v) for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [(f"{where}[{i + 1}]", v) for i, v in enumerate(raw)]
    else:
        return []
    return [key for sub, value in items for key in _non_finite_keys(value, sub)]


def rows_per_request_text(setting: int | str, resolved: Any = None) -> str:
    """The rows-per-request setting in words: "5 rows per request", "auto: 12 rows per request",
    or "automatic" while the number is not known (``resolved``, e.g. a manifest's, is not a number)."""
    if setting != AUTO:
        return f"{setting} row{'s' if setting != 1 else ''} per request"
    if isinstance(resolved, int) and not isinstance(resolved, bool):
        return f"auto: {resolved} row{'s' if resolved != 1 else ''} per request"
    return "automatic"


def spec_warnings(spec: JobSpec) -> list[str]:
    """Settings that are allowed but most likely not meant; shown in the preview and by the command line."""
    from app.core.build.template import placeholders

    warnings = []
    if not placeholders(spec.input_template):
        warnings.append(
            "The row template has no {column} placeholder, so every request sends the same text. "
            "Put the text column in braces, for example {answer}."
        )
    model = spec.model.lower()
    if spec.provider in ("openai", "compatible") and model.startswith("claude"):
        warnings.append(f'The model "{spec.model}" is a Claude model but the provider is {spec.provider}; did you mean "anthropic"?')
    if spec.provider == "anthropic" and re.match(r"^(gpt|o\d|chatgpt)", model):
        warnings.append(f'The model "{spec.model}" is an OpenAI model but the provider is anthropic; did you mean "openai"?')
    if spec.sheet and spec.data.suffix.lower() in (".csv", ".tsv", ".txt"):
        warnings.append(f'"sheet" ("{spec.sheet}") is ignored: {spec.data.name} is a text file, which has no sheets.')
    if spec.id_column is not None and not spec.id_column.strip():
        warnings.append('"id_column" is empty, so rows are identified by their row number; name the ID column or leave the setting out.')
    return warnings
