"""The sections of a methods report, each written from the job's facts (see :mod:`.report_facts`).

The checklist follows GUIDE-LLM (Feuerriegel et al., Nature Human Behaviour 2026;
https://www.llm-checklist.com): model and exact version, access mode, configuration, prompts in
full, validation against people, and the other items that apply when an LLM codes texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.core.research.report_blocks import Block, Code, Image, Section, Table, day, figure, left_out, money, plain, png, share, stamp
from app.core.research.report_facts import JobFacts, software_versions
from app.core.research.stats import alpha_reading
from app.core.spec import AUTO, JobSpec, rows_per_request_text

if TYPE_CHECKING:
    from app.core.research.agreement import Agreement
    from app.core.run.engine import Engine

_VALIDATION_FIGURES = (("accuracy", "accuracy"), ("cohen_kappa", "Cohen's κ"), ("macro_f1", "macro-F1"),
                       ("mae", "MAE"), ("pearson", "Pearson r"), ("spearman", "Spearman ρ"))
API_NAMES = {
    "openai": "OpenAI Batch API",
    "anthropic": "Anthropic Message Batches API",
    "compatible": "an OpenAI-compatible batch API",
    "demo": "BatchLab's offline Demo provider, a simulated OpenAI Batch API whose answers are invented,",
}


# ---- the paragraph ready to paste -------------------------------------------------------------------
def _versions(f: JobFacts) -> str:
    if not f.models:
        return "the provider's responses were not kept, so the exact model version is not recorded"
    names = ", ".join(f"{m}" for m, _ in f.models.most_common())
    return f"model version reported in the provider's responses: {names}"


def _dates(f: JobFacts) -> str:
    start, end = f.first_created, f.last_ended
    if start and end and start.date() == end.date():
        return f"on {day(start)}"
    if start:
        return f"between {day(start)} and {day(end)}"
    return f"in a job created on {day(f.summary.created_at)}"


def _resolved_rows(manifest: dict[str, Any]) -> int | None:
    """The rows per request prepare used (the number "auto" resolved to), if the manifest says."""
    rows = manifest.get("rows_per_request")
    return rows if isinstance(rows, int) else None


def _texts_per_request(spec: JobSpec, manifest: dict[str, Any]) -> str:
    rows = _resolved_rows(manifest) if spec.rows_per_request == AUTO else spec.rows_per_request
    if rows is None:
        return "several texts"
    words = f"{rows} text{'s' if rows != 1 else ''}"
    return words + " (chosen automatically)" if spec.rows_per_request == AUTO else words


def paragraph(f: JobFacts, validation: dict[str, Any] | None, agreement: Agreement | None) -> str:
    s, spec = f.summary, f.spec
    counts = s.status_counts
    coded = counts.get("coded", 0)
    others = ", ".join(f"{n:,} {k}" for k, n in counts.items() if k != "coded" and n)
    fields = ", ".join(f"{x.name} ({x.type})" for x in spec.fields)
    settings = [
        f"temperature {spec.temperature:g}" if spec.temperature is not None else "the model's default temperature",
        f"at most {spec.max_output_tokens:,} output tokens per request" if spec.max_output_tokens else "BatchLab's default output budget",
    ]
    manifest = f.manifests[0] if f.manifests else {}
    currency = manifest.get("cost", {}).get("currency", "USD")
    text = (
        f"We coded {f.provenance.get('rows_read') or s.rows_total:,} texts from the file {f.provenance['file']} "
        f"with {spec.model} ({_versions(f)}) through {API_NAMES.get(spec.provider, spec.provider)} "
        f"at the endpoint {manifest.get('endpoint', spec.endpoint)}, {_dates(f)}. "
        f"Each request carried {_texts_per_request(spec, manifest)} with the same "
        f"instructions, and answers were constrained to a JSON schema with {len(spec.fields)} fields ({fields}); "
        f"we used {' and '.join(settings)}. "
        f"Of {s.rows_total:,} texts, {share(coded, s.rows_total)} were coded" + (f"; {others}" if others else "") + ". "
        f"The job cost {money(s.actual_cost, currency)} (estimated beforehand: {money(s.estimated_cost, currency)}) "
        f"for {f.input_tokens:,} input and {f.output_tokens:,} output tokens."
    )
    if validation:
        text += " " + _validation_sentence(validation)
    if agreement:
        text += " " + _stability_sentence(agreement)
    return text


def _validation_sentence(v: dict[str, Any]) -> str:
    parts = []
    for name, m in v.get("fields", {}).items():
        if m.get("krippendorff_alpha") is not None:
            ci = (m.get("ci95") or {}).get("krippendorff_alpha")
            parts.append(f"{name}: α = {figure(m['krippendorff_alpha'], ci)}" + (f", accuracy {m['accuracy']:.3f}" if m.get("accuracy") is not None else ""))
    return (
        f"Against {v.get('rows_compared', 0):,} hand-coded rows, agreement between the model and the human coding was "
        + ("; ".join(parts) if parts else "not defined for any field") + "."
    )


def _stability_sentence(a: Agreement) -> str:
    parts = [
        f"{name} α = {figure(info['krippendorff_alpha'], info['ci95'])}"
        for name, info in a.fields.items()
        if info["krippendorff_alpha"] is not None
    ]
    return (
        f"Across {len(a.runs)} runs on the same {a.rows_compared:,} texts, Krippendorff's α between runs was "
        + ("; ".join(parts) + " (95% bootstrap intervals)" if parts else "undefined (the answers did not vary)")
        + "."
    )


# ---- sections ----------------------------------------------------------------------------------------------
def codebook(spec: Any) -> Section:
    rows = []
    for x in spec.fields:
        rng = "" if x.minimum is None and x.maximum is None else f"{x.minimum if x.minimum is not None else ''} to {x.maximum if x.maximum is not None else ''}"
        rows.append([x.name, x.type, ", ".join(x.choices), rng.strip(), x.description])
    return Section("Codebook", [
        "Instructions (sent with every request, verbatim):", Code(spec.instructions),
        "Row template (each text as the model saw it):", Code(spec.input_template),
        Table(["field", "type", "choices", "range", "description"], rows),
    ])


def data(f: JobFacts) -> Section:
    p = f.provenance
    excluded = {why: n for why, n in (p.get("rows_excluded") or {}).items() if n}
    rows = [["file", p["file"]], ["size", f"{p['bytes']:,} bytes" if p.get("bytes") is not None else "unknown"],
            ["SHA-256", p.get("sha256") or "unknown"], ["rows read", f"{p.get('rows_read') or 0:,}"]]
    layout = {k: v for k, v in (p.get("layout") or {}).items() if v not in (None, "")}
    if layout:
        rows.append(["read as", ", ".join(f"{k.replace('_', ' ')} {v!r}" if isinstance(v, str) else f"{k.replace('_', ' ')} {v}"
                                          for k, v in layout.items())])
    rows += [[f"rows left out: {why.replace('_', ' ')}", f"{n:,}"] for why, n in excluded.items()] or [["rows left out", "none"]]
    unreadable = p.get("rows_sent_with_unreadable_letters") or []
    if unreadable:
        rows.append(["rows sent with letters that could not be read", f"{len(unreadable):,}"])
    rows += [["note on reading the file", text] for text in p.get("findings", [])]
    return Section("Data", [Table(["", ""], rows)])


def model(f: JobFacts) -> Section:
    spec, manifest = f.spec, (f.manifests[0] if f.manifests else {})
    versions = ", ".join(f"{m} ({n:,} answers)" for m, n in f.models.most_common()) or "not recorded"
    rows = [
        ["provider and API", API_NAMES.get(spec.provider, spec.provider).rstrip(",")],
        ["endpoint", str(manifest.get("endpoint", spec.endpoint))],
        ["model requested", spec.model],
        ["model version reported by the provider", versions],
    ]
    if f.fingerprints:
        rows.append(["system fingerprint", ", ".join(f.fingerprints)])
    rows += [
        ["rows per request", rows_per_request_text(spec.rows_per_request, manifest.get("rows_per_request"))],
        ["temperature", f"{spec.temperature:g}" + (" (answers can still vary between runs)" if spec.temperature == 0 else "")
         if spec.temperature is not None else "the model's default"],
        ["output budget", f"{spec.max_output_tokens:,} tokens" if spec.max_output_tokens else "BatchLab's default"],
        ["output format", f"strict JSON schema, {len(spec.fields)} fields"],
    ]
    rows += [["note", n] for n in manifest.get("notes", [])]
    return Section("Model and settings", [Table(["", ""], rows)])


def lifecycle(f: JobFacts) -> Section:
    rows = [
        [str(b.attempt), str(b.seq), b.provider_id or "—", stamp(b.created), stamp(b.ended), b.provider_status or "—", b.state,
         f"{b.counts.get('done', 0):,} / {b.counts.get('failed', 0):,} / {b.requests:,}", b.error or ""]
        for b in f.batches
    ]
    blocks: list[Block] = [Table(["attempt", "batch", "provider id", "created", "ended", "provider status", "state",
                                  "requests done / failed / sent", "error"], rows)]
    blocks.append("Retries: " + ("; ".join(f.retries) if f.retries else "none."))
    s = f.summary
    blocks.append(Table(["status", "rows"], [[k, share(n, s.rows_total)] for k, n in s.status_counts.items() if n]))
    return Section("Lifecycle and results", blocks)


def cost(f: JobFacts) -> Section:
    rows = []
    for i, m in enumerate(f.manifests, start=1):
        tokens, cost = m.get("tokens", {}), m.get("cost", {})
        rows.append([f"estimate, attempt {i}", f"{tokens.get('input_total', 0):,}", f"{tokens.get('output_estimate_total', 0):,}",
                     money(cost.get("total"), cost.get("currency", "USD"))])
    first = f.manifests[0].get("cost", {}) if f.manifests else {}
    billed = f.billed
    rows.append(["actual (the usage the provider reported)", f"{f.input_tokens:,}", f"{f.output_tokens:,}",
                 money(f.summary.actual_cost, first.get("currency", "USD"))])
    blocks: list[Block] = [Table(["", "input tokens", "output tokens", "cost"], rows)]
    parts = [(billed.get(k, 0), text) for k, text in (("cached_read_tokens", "input tokens read from the prompt cache"),
                                                      ("cache_write_tokens", "input tokens written to the cache"),
                                                      ("reasoning_tokens", "output tokens of hidden reasoning"))]
    if any(n for n, _ in parts):
        blocks.append("Of these: " + "; ".join(f"{n:,} {text}" for n, text in parts if n) + ".")
    blocks += [text for text in (first.get("note"), f"Prices: {first['source']}." if first.get("source") else None) if text]
    return Section("Cost and tokens", blocks)


def software(f: JobFacts) -> Section:
    prepared = sorted({str(m.get("batchlab_version")) for m in f.manifests if m.get("batchlab_version")})
    rows = [[k, v] for k, v in software_versions().items()]
    rows.insert(1, ["BatchLab that prepared the requests", ", ".join(prepared) or "unknown"])
    return Section("Software", [Table(["", "version"], rows), "SDK and Python versions are those installed where this report was written."])


def checklist(f: JobFacts, validation: dict[str, Any] | None, agreement: Agreement | None, examples: int) -> Section:
    """The GUIDE-LLM items that apply to annotation, marked reported or not yet done."""
    def status(ok: bool, missing: str) -> str:
        return "reported" if ok else f"not yet done: {missing}"

    rows = [
        ["Model name and exact version", status(bool(f.models), "the provider's responses are not in the job folder")],
        ["Access mode, provider and dates", status(f.first_created is not None, "no batch reached the provider")],
        ["Full prompt and codebook", "reported"],
        ["Parameters (temperature, output budget, rows per request)", "reported"],
        ["Data source and exclusions", status(bool(f.provenance.get("sha256")), "the data file's checksum is unknown")],
        ["Invalid, refused and missing outputs", "reported"],
        ["Validation against human coding", status(bool(validation), "no validation against hand-coded rows yet")],
        ["Stability across repeated runs, models or prompts", status(agreement is not None, "no comparison runs yet")],
        ["Costs", status(f.summary.actual_cost is not None, "the provider reported no usage")],
        ["Examples of inputs and outputs", status(examples > 0, "no example rows included (an option of the report)")],
        ["Replication materials", f"available: python -m app package {f.job_id} --out FILE.zip"],
    ]
    return Section("GUIDE-LLM checklist (items for annotation)", [Table(["item", "status"], rows)])


def validation_section(validation: dict[str, Any] | None) -> Section:
    from app.core.research.figures import confusion_figure, f1_figure

    if not validation:
        return Section("Validation", ["No validation against hand-coded rows yet."])
    rows, images = [], []
    for name, m in validation.get("fields", {}).items():
        ci = m.get("ci95") or {}
        shown = "; ".join(
            f"{label} {figure(m[key], ci.get(key))}" for key, label in _VALIDATION_FIGURES if m.get(key) is not None
        )
        excluded = left_out(m)
        rows.append([name, m.get("type", ""), f"{m.get('n', 0):,}" + (f" ({excluded} left out)" if excluded else ""), figure(m.get("krippendorff_alpha"), ci.get("krippendorff_alpha")),
                     alpha_reading(m.get("krippendorff_alpha")), shown])
        if m.get("confusion"):
            images.append(Image(png(lambda path, m=m, name=name: confusion_figure(m, path, f"{name}: confusion matrix")), f"{name}: confusion matrix"))
        if m.get("per_label"):
            images.append(Image(png(lambda path, m=m, name=name: f1_figure(m, path, f"{name}: F1 per label")), f"{name}: F1 per label"))
    not_coded = ", ".join(f"{n:,} {k}" for k, n in (validation.get("not_coded") or {}).items() if n) or "none"
    blocks: list[Block] = [
        f"{validation.get('rows_with_gold', 0):,} rows have hand-coded (gold) labels; {validation.get('rows_compared', 0):,} "
        f"were compared (gold rows the model did not code: {not_coded}). 95% bootstrap intervals (1,000 resamples, seed 0).",
        Table(["field", "type", "rows", "Krippendorff's α", "reading", "other figures"], rows),
        *images,
    ]
    return Section("Validation", blocks)


def stability(engine: Engine, job_id: str, agreement: Agreement | None) -> Section:
    from app.core.research.agreement import alpha_chart
    from app.core.research.links import link_of

    if agreement is None:
        return Section("Stability across runs", ["No comparison runs yet (repeat, another model or reworded instructions)."])
    rows = []
    for run in agreement.runs:
        s, link = engine.job(run), link_of(engine.store, run)
        kind = link["kind"] if link else "the job compared with"
        rows.append([run, kind, f"{s.provider} {s.model}", f"{agreement.rows_coded.get(run, 0):,}", money(s.actual_cost)])
    fields = [
        [name, info["level"], figure(info["krippendorff_alpha"], info["ci95"]), info["reading"],
         f"{info['all_agree']:.1%}" if info["all_agree"] is not None else "—"]
        for name, info in agreement.fields.items()
    ]
    blocks: list[Block] = [
        Table(["run", "kind", "model", "rows coded", "cost"], rows),
        f"Compared on the {agreement.rows_compared:,} rows every run coded; 95% bootstrap intervals (1,000 resamples, seed 0).",
        Table(["field", "level", "Krippendorff's α", "reading", "all runs agree"], fields),
        Image(png(lambda path: alpha_chart(agreement, path)), "Krippendorff's α per field across runs"),
    ]
    if agreement.validations:
        names = list(next(iter(agreement.validations.values())).get("fields", {}))
        blocks += [
            "Each run against the hand-coded rows (Krippendorff's α, model vs. people):",
            Table(["run", "rows compared", *names], [
                [run, f"{v.get('rows_compared', 0):,}", *[figure(v["fields"][n].get("krippendorff_alpha")) for n in names]]
                for run, v in agreement.validations.items()
            ]),
        ]
    return Section("Stability across runs", blocks)


def examples(engine: Engine, f: JobFacts, count: int) -> Section:
    from app.core.research.quotes import job_texts

    texts = job_texts(f.spec)
    rows = [
        [r.row_id, texts.text(r.row_id), "; ".join(f"{k}: {plain(v)}" for k, v in r.values.items())]
        for r in engine.rows(f.job_id, "coded", 0, count)
    ]
    return Section(f"Example rows ({len(rows)})", [Table(["ID", "text as sent", "coding"], rows)])
