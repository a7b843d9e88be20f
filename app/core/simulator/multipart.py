"""Parse ``multipart/form-data`` uploads (the OpenAI Files API) without the removed ``cgi`` module.

Parts are split by hand so file bytes come back exactly as sent; only each part's headers go
through the ``email`` package, which knows the quoting rules of ``Content-Disposition``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import HTTP


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def _headers(raw: bytes) -> EmailMessage:
    parsed = BytesHeaderParser(policy=HTTP).parsebytes(raw + b"\r\n\r\n")
    assert isinstance(parsed, EmailMessage)
    return parsed


def _params(headers: EmailMessage, name: str) -> Mapping[str, str]:
    """The parameters of a structured header (``boundary``, ``name``, ``filename``)."""
    header = headers[name]
    return getattr(header, "params", {}) if header is not None else {}


def parse_form(body: bytes, content_type: str) -> dict[str, Part]:
    """The form's parts by field name; ``ValueError`` when the body is not multipart form data."""
    outer = _headers(b"Content-Type: " + content_type.encode("latin-1"))
    boundary = _params(outer, "content-type").get("boundary")
    if outer.get_content_type() != "multipart/form-data" or not boundary:
        raise ValueError("expected a multipart/form-data body with a boundary")
    parts: dict[str, Part] = {}
    for section in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if section.startswith(b"--"):
            break
        head, separator, data = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("a multipart section has no header end")
        headers = _headers(head)
        disposition = _params(headers, "content-disposition")
        if "name" not in disposition:
            raise ValueError("a multipart section has no field name")
        parts[disposition["name"]] = Part(
            disposition["name"], data.removesuffix(b"\r\n"), disposition.get("filename"), headers.get("content-type")
        )
    return parts
