"""A verbatim quote is found in a text whose accents are written decomposed (e + combining accent,
as some Mac and web exports write them), though the model answers with composed letters."""

from __future__ import annotations

import unicodedata

from app.core.research.quotes import quote_in_text


def test_quotes_match_whichever_way_the_accents_are_written() -> None:
    text = unicodedata.normalize("NFD", "Le café était très bon, ça coûte 3 €.")
    assert quote_in_text("café était TRÈS bon", text)
    assert quote_in_text(unicodedata.normalize("NFD", "ça coûte"), unicodedata.normalize("NFC", text))
    assert not quote_in_text("cafe etait", text)  # accents dropped: not the author's words
