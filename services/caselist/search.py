"""Finding cases by words: the search index kept beside the case list.

One row a case in `case_search`, written by the case-list projector in the same
transaction as the case's list row (so the two never disagree), holding the
council's name, the case reference (when cases have one) and the words of its
summary, its intelligence, its diagnosis, its plan and its documents' titles.
SQLite indexes it with FTS5 (an external-content table kept by triggers);
PostgreSQL with a `tsvector` column and a GIN index. Text is folded here, in
Python (accents dropped, case folded), before either store sees it, so both
stores match alike and PostgreSQL needs no `unaccent` extension.

Chatham House intelligence, and a Chatham House document's title, are never
indexed: they are shared on terms that the search cannot honour, so they can
neither make a case match nor show in a snippet.

A person's text never reaches the query syntax: it is cut into words of letters and
digits, each quoted, all required, the last taken as a prefix ("north" finds
"Northshire"); a council's name also matches on any part of it ("shire").
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.confidentiality import is_chatham_house
from domain.errors import InvalidField

MAX_QUERY = 200  # characters: longer is refused (422 naming `q`), not truncated silently
MAX_WORDS = 12  # words of a query that count; the rest would only narrow it further
MAX_PAGE = 200  # pages: a deeper offset reads ever more rows for nothing anyone reads
SNIPPET_WORDS = 24  # words of context shown around the first match
REFERENCE = re.compile(r"^[A-Za-z]{2,4}-\d{4}-\d{1,6}$")
_WORD = re.compile(r"[^\W_]+")

FTS_TABLE = "case_search_fts"
"""SQLite's full-text index of `case_search` (FTS5, external content)."""
COUNCILS_TABLE = """CREATE TABLE IF NOT EXISTS case_search_councils (
    authority TEXT PRIMARY KEY, authority_folded TEXT NOT NULL)"""
"""Every council a case has named, folded: where a part of a name is looked for."""
SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS case_search (
        case_id TEXT PRIMARY KEY, version INTEGER NOT NULL, reference TEXT NOT NULL,
        authority TEXT NOT NULL, authority_folded TEXT NOT NULL, body TEXT NOT NULL,
        body_folded TEXT NOT NULL)""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS case_search_fts USING fts5(
        authority_folded, reference, body_folded, content='case_search',
        content_rowid='rowid', tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER IF NOT EXISTS case_search_added AFTER INSERT ON case_search BEGIN
        INSERT INTO case_search_fts (rowid, authority_folded, reference, body_folded)
        VALUES (new.rowid, new.authority_folded, new.reference, new.body_folded); END""",
    """CREATE TRIGGER IF NOT EXISTS case_search_removed AFTER DELETE ON case_search BEGIN
        INSERT INTO case_search_fts (case_search_fts, rowid, authority_folded, reference,
        body_folded) VALUES ('delete', old.rowid, old.authority_folded, old.reference,
        old.body_folded); END""",
    """CREATE TRIGGER IF NOT EXISTS case_search_changed AFTER UPDATE ON case_search BEGIN
        INSERT INTO case_search_fts (case_search_fts, rowid, authority_folded, reference,
        body_folded) VALUES ('delete', old.rowid, old.authority_folded, old.reference,
        old.body_folded);
        INSERT INTO case_search_fts (rowid, authority_folded, reference, body_folded)
        VALUES (new.rowid, new.authority_folded, new.reference, new.body_folded); END""",
    "CREATE INDEX IF NOT EXISTS case_search_reference ON case_search (reference)",
    COUNCILS_TABLE,
)
POSTGRES_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS case_search (
        case_id TEXT PRIMARY KEY, version INTEGER NOT NULL, reference TEXT NOT NULL,
        authority TEXT NOT NULL, authority_folded TEXT NOT NULL, body TEXT NOT NULL,
        body_folded TEXT NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, authority_folded), 'A')
            || setweight(to_tsvector('simple'::regconfig, lower(reference)), 'A')
            || setweight(to_tsvector('simple'::regconfig, body_folded), 'B')) STORED)""",
    "CREATE INDEX IF NOT EXISTS case_search_document ON case_search USING GIN (document)",
    "CREATE INDEX IF NOT EXISTS case_search_reference ON case_search (reference)",
    COUNCILS_TABLE,
)
SCHEMA = {"sqlite": SQLITE_SCHEMA, "postgres": POSTGRES_SCHEMA}
COLUMNS = ("case_id", "version", "reference", "authority", "authority_folded", "body",
           "body_folded")
UPSERT = (f"INSERT INTO case_search ({', '.join(COLUMNS)}) VALUES "
          f"({', '.join('?' * len(COLUMNS))}) ON CONFLICT (case_id) DO UPDATE SET "
          + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
          + " WHERE case_search.version < excluded.version")
NAME_COUNCILS = ("INSERT INTO case_search_councils VALUES (?, ?) "
                 "ON CONFLICT (authority) DO NOTHING")
NAME_COUNCILS_ARRAYS = ("INSERT INTO case_search_councils SELECT DISTINCT * FROM "
                        "unnest(?::text[], ?::text[]) ON CONFLICT (authority) DO NOTHING")
UPSERT_ARRAYS = (f"INSERT INTO case_search ({', '.join(COLUMNS)}) SELECT * FROM unnest("
                 "?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) "
                 "ON CONFLICT (case_id) DO UPDATE SET "
                 + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
                 + " WHERE case_search.version < excluded.version")


# -- folding ---------------------------------------------------------------------------

def fold(text: str) -> str:
    """Text as both stores index it: accents dropped, case folded, words single-spaced."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    """The words of a text, folded: letters and digits only, so none is query syntax."""
    return _WORD.findall(_folded_chars(text)[0])


def _folded_chars(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, where it came from in `text`:
    so that a match found in folded text can be marked in the text as written."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        bare = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c)).casefold()
        out.append(bare)
        origin.extend([i] * len(bare))
    return "".join(out), origin


# -- the document ----------------------------------------------------------------------

def document(view: Mapping[str, Any]) -> tuple[Any, ...]:
    """A case's row of the index, from its view: what a search may match. Chatham House
    intelligence and documents are left out entirely (never matched, never shown)."""
    parts = [view.get("summary") or ""]
    parts += [i.get("content") or "" for i in view.get("intelligence") or []
              if not is_chatham_house(i)]
    parts += [str(d.get("title") or "") for d in view.get("documents") or []
              if isinstance(d, Mapping) and not is_chatham_house(d)]
    diagnosis = view.get("diagnosis") or {}
    parts += [diagnosis.get("summary") or "", *_texts(diagnosis.get("root_causes"))]
    for plan in (view.get("plan"), view.get("agreed_plan")):
        if plan:
            parts += [plan.get("summary") or "",
                      *(a.get("description") or ""
                        for a in plan.get("actions") or [] if isinstance(a, Mapping))]
    body = "\n".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))
    authority, reference = view["authority"], view.get("reference") or ""
    return (str(view["id"]), view["version"], reference, authority, fold(authority), body,
            fold(body))


def _texts(items: Any) -> list[str]:
    return [i for i in items or [] if isinstance(i, str)]


# -- the query -------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """What a person typed, made safe: folded words, and the reference if it is one."""

    words: tuple[str, ...]
    reference: str | None

    @classmethod
    def of(cls, text: str) -> "Query":
        if len(text) > MAX_QUERY:
            raise InvalidField(f"a search is at most {MAX_QUERY} characters", field="q")
        stripped = text.strip()
        reference = stripped.upper() if REFERENCE.match(stripped) else None
        return cls(tuple(words(text))[:MAX_WORDS], reference)

    @property
    def empty(self) -> bool:
        return not self.words and self.reference is None

    def fts5(self) -> str:
        """SQLite FTS5: each word quoted, all required, the last a prefix."""
        quoted = [f'"{w}"' for w in self.words]
        return " AND ".join(quoted[:-1] + [quoted[-1] + "*"])

    def tsquery(self) -> str:
        """PostgreSQL to_tsquery: each word quoted, all required, the last a prefix."""
        quoted = [f"'{w}'" for w in self.words]
        return " & ".join(quoted[:-1] + [quoted[-1] + ":*"])

    def finds_words_of(self, folded: str) -> bool:
        """Whether the full-text query alone finds this name, given folded (each word a
        word of it, the last the start of one): then its cases need no search by part of
        the name. The name comes folded from COUNCILS, not folded again a search."""
        named = folded.split()
        return all(w in named for w in self.words[:-1]) and any(
            n.startswith(self.words[-1]) for n in named)

    def finds_in(self, folded: str) -> bool:
        """Whether the words are all in this folded text, the last as a prefix, as the
        index would find them."""
        present = folded.split()
        return bool(self.words) and all(w in present for w in self.words[:-1]) and any(
            p.startswith(self.words[-1]) for p in present)

    def council_part(self) -> str:
        """A LIKE pattern for any part of a council's folded name (words are letters and
        digits only, so hold no LIKE wildcard)."""
        return f"%{' '.join(self.words)}%"


def finds(query: Query, authority: str, text: str, reference: str = "") -> bool:
    """Whether the query finds a case by these words alone (its council, its text, its
    reference), as the index would: for a reader who may read only part of a case."""
    council = fold(authority)
    return (query.reference is not None and query.reference == reference) or (
        query.finds_in(f"{council} {fold(text)}")
        or (bool(query.words) and " ".join(query.words) in council))


COUNCILS = ("SELECT authority, authority_folded FROM case_search_councils "
            "WHERE authority_folded LIKE ? "
            "ORDER BY authority")
"""The councils whose folded name holds the query: a few hundred names scanned, not a
row a case, so a part of a name ("shire") costs no more than a word."""


def matches(query: Query, councils: list[str], *, postgres: bool,
            scored: bool = True) -> tuple[str, list[Any]]:
    """SQL for the matching cases' `case_id` (and `score`, higher first, when `scored`)
    and its parameters: the words in the index, the councils whose name holds the query
    (found first, with COUNCILS), the reference."""
    parts: list[tuple[str, str, list[Any]]] = []  # (score, from-and-where, params)
    if query.words and postgres:
        parts.append(("ts_rank(document, to_tsquery('simple', ?))::float8",
                      "FROM case_search WHERE document @@ to_tsquery('simple', ?)",
                      [query.tsquery()]))
    elif query.words:
        parts.append(("-bm25(case_search_fts, 10.0, 10.0, 1.0)",
                      "FROM case_search_fts f JOIN case_search s ON s.rowid = f.rowid "
                      "WHERE case_search_fts MATCH ?", [query.fts5()]))
    if councils:
        parts.append(("10.0", f"FROM case_list WHERE authority IN "
                              f"({', '.join('?' * len(councils))})", list(councils)))
    if query.reference:
        parts.append(("1000.0", "FROM case_search WHERE reference = ?", [query.reference]))
    key = "s.case_id" if not postgres and query.words else "case_id"
    params: list[Any] = []
    selects = []
    for i, (score, source, values) in enumerate(parts):
        column = key if i == 0 else "case_id"
        if scored:
            cast = "::float8" if postgres and not score.startswith("ts_rank") else ""
            selects.append(f"SELECT {column} AS case_id, {score}{cast} AS score {source}")
            params += values if not score.startswith("ts_rank") else [*values, *values]
        else:
            selects.append(f"SELECT {column} AS case_id {source}")
            params += values
    if not scored:
        return " UNION ".join(selects), params
    if len(selects) == 1:
        return selects[0], params
    return ("SELECT case_id, SUM(score) AS score FROM (" + " UNION ALL ".join(selects)
            + ") hits GROUP BY case_id"), params


# -- the snippet -----------------------------------------------------------------------

def marked(text: str, query: Query, *, whole: bool = False) -> list[dict[str, Any]]:
    """The text cut into parts, each saying whether it matched: for a page to mark with
    `<mark>` without trusting any HTML. A snippet of the line with the first match (or
    all of it, `whole`), or [] when nothing matches."""
    if not query.words:
        return []
    for line in text.split("\n"):
        spans = _spans(line, query)
        if spans:
            return _parts(line, spans, whole=whole)
    return []


def _spans(line: str, query: Query) -> list[tuple[int, int]]:
    """Where the query's words start words of the line (the last as a prefix), or where
    the whole query is a part of the line (a council's name), in the line as written."""
    folded, origin = _folded_chars(line)
    wanted = set(query.words[:-1])
    last = query.words[-1]
    spans = []
    for found in _WORD.finditer(folded):
        word = found.group()
        if word in wanted or word.startswith(last):
            end = found.start() + (len(last) if word.startswith(last) else len(word))
            spans.append((origin[found.start()], origin[end - 1] + 1))
    if not spans:
        phrase = " ".join(query.words)
        spaced = re.sub(r"[\W_]+", " ", folded)
        at = spaced.find(phrase)
        if at >= 0:
            spans.append((origin[at], origin[at + len(phrase) - 1] + 1))
    return spans


def _parts(line: str, spans: list[tuple[int, int]], *, whole: bool) -> list[dict[str, Any]]:
    start, end = 0, len(line)
    if not whole:
        before = [m.start() for m in re.finditer(r"\S+", line[:spans[0][0]])]
        start = before[-SNIPPET_WORDS // 3] if len(before) > SNIPPET_WORDS // 3 else 0
        after = [m.end() for m in re.finditer(r"\S+", line[spans[0][1]:])]
        end = spans[0][1] + after[SNIPPET_WORDS - 1] if len(after) > SNIPPET_WORDS else end
    parts: list[dict[str, Any]] = []
    if start:
        parts.append({"text": "… ", "matched": False})
    at = start
    for begin, finish in spans:
        if begin < at or finish > end:
            continue
        if begin > at:
            parts.append({"text": line[at:begin], "matched": False})
        parts.append({"text": line[begin:finish], "matched": True})
        at = finish
    if at < end:
        parts.append({"text": line[at:end], "matched": False})
    if end < len(line):
        parts.append({"text": " …", "matched": False})
    return parts


def result(row: Mapping[str, Any], query: Query) -> dict[str, Any]:
    """One result: the case's list row, its council's name and a snippet, marked."""
    found = dict(row)
    body = found.pop("body", "")
    found["authority_marked"] = marked(row["authority"], query, whole=True) or [
        {"text": row["authority"], "matched": False}]
    found["snippet"] = marked(body, query) or _opening(body)
    return found


def _opening(body: str) -> list[dict[str, Any]]:
    """The summary's first words when only the council or the reference matched."""
    first = body.split("\n", 1)[0]
    cut = " ".join(first.split()[:SNIPPET_WORDS])
    return [{"text": cut + (" …" if cut != first.strip() else ""), "matched": False}] \
        if cut else []


def page_of(number: int) -> int:
    if not 1 <= number <= MAX_PAGE:
        raise InvalidField(f"a page number is from 1 to {MAX_PAGE}", field="page")
    return number


def joined(rows: Iterable[tuple]) -> list[list[Any]]:
    """Rows as columns of arrays, for PostgreSQL's unnest: one statement for many rows."""
    return [list(column) for column in zip(*rows, strict=True)]
