"""What a person types becomes folded, quoted words, and matches are marked in the text
as written (accents and all)."""

import pytest

from domain.errors import InvalidField
from services.caselist.search import MAX_QUERY, Query, marked


def test_words_are_folded_quoted_and_the_last_is_a_prefix():
    query = Query.of('Bromley-by-Bów "NEAR(x*" -')
    assert query.words == ("bromley", "by", "bow", "near", "x")
    assert query.fts5() == '"bromley" AND "by" AND "bow" AND "near" AND "x"*'
    assert query.tsquery() == "'bromley' & 'by' & 'bow' & 'near' & 'x':*"


def test_a_reference_is_recognised_and_nothing_else_is():
    assert Query.of(" nw-2026-0042 ").reference == "NW-2026-0042"
    assert Query.of("north west 2026").reference is None


def test_text_without_letters_or_digits_finds_nothing_and_too_long_is_refused():
    assert Query.of("\x00 * \" - :* & |").empty
    with pytest.raises(InvalidField) as refused:
        Query.of("x" * (MAX_QUERY + 1))
    assert refused.value.field == "q"


def test_matches_are_marked_in_the_text_as_written():
    parts = marked("Bromley-by-Bów Borough Council", Query.of("bow"), whole=True)
    assert [p["text"] for p in parts if p["matched"]] == ["Bów"]
    assert "".join(p["text"] for p in parts) == "Bromley-by-Bów Borough Council"
    shire = marked("Northshire County Council", Query.of("SHIRE"), whole=True)
    assert [p["text"] for p in shire if p["matched"]] == ["shire"]
