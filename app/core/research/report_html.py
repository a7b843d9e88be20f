"""Writing a :class:`~app.core.research.report_blocks.Report` as self-contained HTML or as Markdown.

Both forms carry the same content; figures are embedded as base64 PNG so a single file can be
mailed, archived with a paper or attached to a replication package. Every text from the job is
escaped (HTML) or fenced (Markdown), so a codebook can never break or inject into the page.
"""

from __future__ import annotations

import html

from app.core.research.report_blocks import Code, Image, Report, Table, png_data_uri

_STYLE = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.subtitle { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: .6rem 0; font-size: 13px; } td, th { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } pre { background: #f7f7f7; padding: .6rem; white-space: pre-wrap; border: 1px solid #e5e5e5; }
img { max-width: 100%; }
"""


def render_html(report: Report) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="subtitle">{html.escape(report.subtitle)}</p>',
    ]
    for section in report.sections:
        out.append(f"<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Table):
                head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header) if any(block.header) else ""
                body = "".join(
                    "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in block.rows
                )
                out.append(f"<table>{f'<thead><tr>{head}</tr></thead>' if head else ''}<tbody>{body}</tbody></table>")
            elif isinstance(block, Code):
                out.append(f"<pre>{html.escape(block.text)}</pre>")
            elif isinstance(block, Image):
                out.append(f'<p><img alt="{html.escape(block.alt)}" src="{png_data_uri(block.png)}"></p>')
            else:
                out.append(f"<p>{html.escape(block)}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    """A table cell's text with what would break a Markdown table escaped."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)), default=0)
    return "`" * max(3, longest + 1)


def _backtick_runs(line: str) -> list[str]:
    runs, current = [], ""
    for char in line:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    return runs + ([current] if current else [])


def render_markdown(report: Report) -> str:
    out = [f"# {report.title}", "", f"*{report.subtitle}*", ""]
    for section in report.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                out.append("| " + " | ".join(_cell(h) for h in block.header) + " |")
                out.append("|" + "---|" * len(block.header))
                out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
            elif isinstance(block, Code):
                fence = _fence(block.text)
                out += [f"{fence}text", block.text, fence]
            elif isinstance(block, Image):
                out.append(f"![{block.alt}]({png_data_uri(block.png)})")
            else:
                out.append(block)
            out.append("")
    return "\n".join(out)
