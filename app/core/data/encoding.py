"""Which encoding a text file is in: a byte-order mark, UTF-8, or the likeliest legacy code page."""

from __future__ import annotations

import codecs
from pathlib import Path

from app.core.data.files import not_text, open_binary
from app.core.data.table import Steps

#: Bytes read from the start of a text file to choose its encoding and delimiter.
HEAD_BYTES = 256 * 1024
#: Legacy encodings considered when a file is not UTF-8, most common first.
LEGACY_ENCODINGS = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "mac_roman", "koi8_r", "cp932", "gb18030", "big5", "euc_kr",
)  # fmt: skip
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252 (Western European)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1255": "Windows-1255 (Hebrew)",
    "cp1256": "Windows-1256 (Arabic)",
    "cp1257": "Windows-1257 (Baltic)",
    "mac-roman": "Mac Roman",
    "koi8-r": "KOI8-R (Cyrillic)",
    "cp932": "Shift-JIS (Japanese)",
    "gb18030": "GB18030 (Chinese)",
    "big5": "Big5 (Traditional Chinese)",
    "euc_kr": "EUC-KR (Korean)",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
}
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def encoding_label(codec: str | None) -> str:
    """A person's name for a codec: "Windows-1252 (Western European)" for "cp1252"."""
    if not codec:
        return ""
    name = codecs.lookup(codec).name
    return ENCODING_NAMES.get(name, name)


def checked_codec(name: str) -> str:
    """The codec's canonical name, or a DataError naming the choices when Python does not know it."""
    from app.core.errors import DataError

    try:
        return codecs.lookup(name).name
    except LookupError:
        raise DataError(
            f'"{name}" is not an encoding BatchLab knows.',
            "Choose one such as utf-8, cp1252 (Windows Western European) or latin-1.",
        ) from None


def detect_encoding(path: Path, head: bytes, complete: bool, steps: Steps) -> tuple[str, bool, bool]:
    """(codec, guessed: no BOM and not UTF-8, strict: the start of the file decodes without a fault)."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding, False, True
    if b"\x00" in head:  # UTF-16 without a BOM, or not text at all
        from charset_normalizer import from_bytes  # only for files that are not clean UTF-8

        best = from_bytes(head).best()
        if best is not None and best.encoding.startswith(("utf_16", "utf_32")):
            return best.encoding, True, False
        raise not_text(path)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, complete)
    except UnicodeDecodeError:
        return (*guess_encoding(path, steps), False)
    return "utf-8", False, True


def guess_encoding(path: Path, steps: Steps) -> tuple[str, bool]:
    """Decide between UTF-8 with a few broken bytes and a legacy encoding, from non-ASCII lines.

    charset-normalizer often cannot tell neighbouring encodings apart on little text; among those
    that read the sample as well as its best guess, the most common one (first in the list) wins.
    """
    lines = _non_ascii_lines(path, steps)
    valid = sum(1 for line in lines if _is_utf8(line))
    if valid and valid * 100 >= len(lines) - valid:
        # Lines of valid multi-byte UTF-8 do not happen by chance in a legacy encoding: the file is
        # UTF-8 with some rows in another encoding (two exports pasted together) or damaged bytes.
        # Keep UTF-8, and report the rows that could not be read.
        return "utf-8", False
    sample = b"".join(lines)
    from charset_normalizer import from_bytes

    matches = from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS))
    best = matches.best()
    if best is None:
        return "cp1252", True
    as_good = {
        name
        for match in matches
        if match.chaos <= best.chaos + 0.01 and match.coherence >= best.coherence - 0.01
        for name in match.could_be_from_charset
    }
    return next((name for name in LEGACY_ENCODINGS if name in as_good), best.encoding), True


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _non_ascii_lines(path: Path, steps: Steps) -> list[bytes]:
    """Up to HEAD_BYTES of the file's lines that hold non-ASCII bytes: what tells encodings apart."""
    found: list[bytes] = []
    total = 0
    rest = b""
    with open_binary(path) as raw:
        while block := raw.read(1 << 20):
            steps.check()
            lines = (rest + block).splitlines(keepends=True)
            rest = b"" if lines[-1].endswith((b"\n", b"\r")) else lines.pop()
            if len(rest) > HEAD_BYTES:  # a very long line: judge it as it is
                lines.append(rest)
                rest = b""
            for line in lines:
                if not line.isascii():
                    found.append(line)
                    total += len(line)
                    if total >= HEAD_BYTES:
                        return found
    if not rest.isascii():
        found.append(rest)
    return found
