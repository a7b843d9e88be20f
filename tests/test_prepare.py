"""prepare: from spec and data to request files, index and manifest; and the command line around it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.build.batchfiles import BatchLimits
from app.core.data import load_table
from app.core.errors import DataError, SpecError
from app.core.build.prepare import prepare, preview_requests, read_index
from app.core.build.requests import RequestBuilder
from app.core.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reviews-openai.json"


def spec_for(data: Path, **changes: object):
    raw = json.loads(EXAMPLE.read_text())
    raw.update(data=str(data), **changes)
    return parse_spec(raw, ROOT)


def test_example_prepares_with_manifest_and_index(tmp_path: Path) -> None:
    prepared = prepare(load_spec(EXAMPLE), tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest == prepared.manifest
    assert (manifest["rows_total"], manifest["rows_sent"], manifest["requests"]) == (40, 40, 8)
    assert manifest["files"][0]["file"] == "batch-001.jsonl" and manifest["files"][0]["rows"] == 40
    assert manifest["bytes"] == (tmp_path / "batch-001.jsonl").stat().st_size
    assert manifest["tokens"]["input_total"] > 1000 and manifest["tokens"]["method"]
    assert manifest["cost"]["total"] > 0 and "genai-prices" in manifest["cost"]["source"]
    index = list(read_index(tmp_path))
    assert index[0] == ("req-000001", 1, ["R001", "R002", "R003", "R004", "R005"])
    lines = [json.loads(line) for line in (tmp_path / "batch-001.jsonl").read_text().splitlines()]
    assert [line["custom_id"] for line in lines] == [cid for cid, _, _ in index]
    assert len({line["body"]["messages"][0]["content"] for line in lines}) == 1  # identical system prompt


def test_preview_is_exactly_what_is_written(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLE)
    table = load_table(spec.data)
    [first] = preview_requests(spec, table, count=1)
    prepare(spec, tmp_path, table=table, prefix="preview")
    written = json.loads((tmp_path / "batch-001.jsonl").read_text().splitlines()[0])
    assert first == written


def test_split_by_request_count_and_bytes(tmp_path: Path) -> None:
    spec = spec_for(ROOT / "resources" / "sample" / "reviews.csv", rows_per_request=1)
    prepared = prepare(spec, tmp_path / "count", limits=BatchLimits(max_requests=15, max_bytes=10**9))
    assert [f["requests"] for f in prepared.manifest["files"]] == [15, 15, 10]
    prepared = prepare(spec, tmp_path / "bytes", limits=BatchLimits(max_requests=10**6, max_bytes=20_000))
    sizes = [f["bytes"] for f in prepared.manifest["files"]]
    assert len(sizes) > 1 and all(size <= 20_000 for size in sizes)
    assert sum(f["requests"] for f in prepared.manifest["files"]) == 40
    files = {n for _, n, _ in read_index(tmp_path / "bytes")}
    assert files == set(range(1, len(sizes) + 1))


def test_blank_texts_are_reported_not_sent(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("review_id,title,body\na,T,good\nb,,\nc,T2,bad\n", encoding="utf-8")
    spec = spec_for(data, input_template="{title} {body}", rows_per_request=1)
    manifest = prepare(spec, tmp_path / "out").manifest
    assert manifest["rows_not_sent"]["blank_text"] == ["b"] and manifest["rows_sent"] == 2


def test_duplicate_ids_block_with_row_numbers(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("review_id,title,body\na,x,y\na,x,z\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        prepare(spec_for(data), tmp_path / "out")
    assert "rows 2 and 3" in info.value.message


def test_placeholder_naming_no_column(tmp_path: Path) -> None:
    spec = spec_for(ROOT / "resources" / "sample" / "reviews.csv", input_template="{title} {summary}")
    with pytest.raises(SpecError) as info:
        prepare(spec, tmp_path)
    assert 'no column "summary"' in info.value.problems[0]


def test_rows_without_an_id_column_use_row_numbers(tmp_path: Path) -> None:
    spec = spec_for(ROOT / "resources" / "sample" / "reviews.csv", id_column=None, rows_per_request=1)
    prepare(spec, tmp_path)
    assert [rows for _, _, rows in read_index(tmp_path)][:2] == [["1"], ["2"]]


def test_long_row_is_flagged(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("review_id,title,body\na,x," + "word " * 150_000 + "\n", encoding="utf-8")
    spec = spec_for(data, model="gpt-4o-mini", rows_per_request=1)
    warnings = prepare(spec, tmp_path / "out").manifest["warnings"]
    assert any("may not fit" in w and "context window" in w for w in warnings)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_prepare_summary_and_errors(tmp_path: Path) -> None:
    ok = run_cli("prepare", str(EXAMPLE), "--out", str(tmp_path / "out"))
    assert ok.returncode == 0, ok.stderr
    assert "40 rows in 8 requests" in ok.stdout and "Estimated cost at batch prices" in ok.stdout
    assert (tmp_path / "out" / "manifest.json").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "rows_per_request": 0}))
    failed = run_cli("prepare", str(bad), "--out", str(tmp_path / "o2"))
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr and '"rows_per_request" must be at least 1' in failed.stderr
    helped = run_cli("--help")
    for command in ("prepare", "run", "status", "cancel", "retry", "pilot", "export", "simulate", "screenshots"):
        assert command in helped.stdout


def mixed_encoding_file(tmp_path: Path) -> Path:
    """UTF-8 rows with two rows saved as Windows-1252 (as when two exports are pasted together)."""
    lines = [f"r{i},Title,Señor número {i}".encode() for i in range(1, 30)]
    lines[4] = "r5,Title,Señor from Excel".encode("cp1252")
    lines[19] = "r20,Title,Café crème".encode("cp1252")
    data = tmp_path / "mixed.csv"
    data.write_bytes(b"review_id,title,body\n" + b"\n".join(lines) + b"\n")
    return data


def test_unreadable_letters_stop_prepare_naming_the_rows(tmp_path: Path) -> None:
    spec = spec_for(mixed_encoding_file(tmp_path), input_template="{title}: {body}")
    with pytest.raises(DataError) as info:
        prepare(spec, tmp_path / "out")
    assert "rows 6 and 21" in info.value.message and "accept_unreadable_rows" in info.value.hint
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_accepted_unreadable_rows_are_sent_and_listed_in_the_manifest(tmp_path: Path) -> None:
    spec = spec_for(mixed_encoding_file(tmp_path), input_template="{title}: {body}", accept_unreadable_rows=True)
    manifest = prepare(spec, tmp_path / "out").manifest
    assert manifest["rows_sent"] == 29
    assert manifest["data"]["rows_sent_with_unreadable_letters"] == ["r5", "r20"]
    assert any("as chosen, these rows are sent as they are" in line for line in manifest["data"]["findings"])


def test_manifest_records_the_data_file_it_was_built_from(tmp_path: Path) -> None:
    import hashlib

    data = tmp_path / "d.csv"
    data.write_text("Survey export\n\nreview_id,title,body\na,T,good\nb,,\nc,T2,bad\n", encoding="utf-8")
    spec = spec_for(data, input_template="{title} {body}")
    record = prepare(spec, tmp_path / "out").manifest["data"]
    assert record["file"] == "d.csv" and record["bytes"] == data.stat().st_size
    assert record["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert (record["rows_read"], record["rows_excluded"]) == (3, {"blank_text": 1})
    assert record["layout"] == {"sheet": None, "header_row": 3, "encoding": "utf-8", "delimiter": ","}
    assert record["findings"][0].startswith("The column names were taken from row 3")


def test_spec_load_options_reach_the_reader(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("note,,\nreview_id,title,body\na,T,good\nb,T,bad\n", encoding="utf-8")
    spec = spec_for(data, header_row=2, delimiter=",", encoding="utf-8")
    assert spec.to_dict()["header_row"] == 2
    manifest = prepare(spec, tmp_path / "out").manifest
    assert manifest["rows_sent"] == 2 and manifest["data"]["layout"]["header_row"] == 2
    with pytest.raises(SpecError, match="header_row"):
        spec_for(data, header_row=0)


def test_auto_rows_per_request_are_resolved_before_building(tmp_path: Path) -> None:
    spec = spec_for(ROOT / "resources" / "sample" / "reviews.csv", rows_per_request="auto")
    rows = RequestBuilder(spec).rows_per_request
    manifest = prepare(spec, tmp_path).manifest
    assert 2 <= rows <= 20 and manifest["rows_per_request"] == rows
    assert manifest["requests"] == -(-40 // rows) and manifest["tokens"]["overhead_per_row"] <= 25
    index = list(read_index(tmp_path))
    assert [len(ids) for _, _, ids in index[:-1]] == [rows] * (len(index) - 1)
    first = json.loads((tmp_path / "batch-001.jsonl").read_text().splitlines()[0])
    assert first["body"]["messages"][1]["content"].startswith("[R001]\nTitle: ")
    preview = preview_requests(spec, load_table(spec.data), count=2, sample=True)
    assert len(preview) == 2 and all(line["body"]["messages"][1]["content"].startswith("[") for line in preview)


def test_a_refused_file_leaves_an_earlier_output_as_it_was_and_no_scratch(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("review_id,title,body\nA,t,first\nB,t,second\n", encoding="utf-8")
    out = tmp_path / "out"
    prepare(spec_for(data), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    data.write_text("review_id,title,body\nA,t,first\nA,t,again\n", encoding="utf-8")
    with pytest.raises(DataError, match='"A" in rows 2 and 3'):
        prepare(spec_for(data), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch folder left
