"""Reading a CSV file of authorities: whole rows with line numbers, or a clear refusal.

The file's header must use the register's own field names, so a spreadsheet
exported from the register imports back unchanged.

A file comes in as bytes and must be UTF-8: a file saved as Latin-1 or
Windows-1252 would otherwise have every accented letter stored as U+FFFD, with
nothing to say so. Every cell then obeys the same text rule as a JSON body
(domain/text.py), on one line as a name does: a council named with a NUL could
never have a case opened, since the API refuses that name everywhere else.
"""

import csv
import io
from typing import Any

from domain.authorities import AUTHORITY_FIELDS
from domain.errors import InvalidField
from domain.text import text_problem


class ImportRefused(InvalidField):
    """A CSV file with bad rows: nothing was imported; `rows` says what was wrong where."""

    rule = "csv_rows_refused"

    def __init__(self, message: str, rows: list[dict[str, Any]]):
        super().__init__(message, field="file")
        self.rows = rows


def read_csv(data: str | bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; a file with unknown or missing columns is refused whole,
    as is one that is not UTF-8 or has a cell the text rule refuses."""
    text = decoded(data)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        rows = _rows(reader)
    except csv.Error as error:
        reason = str(error).split(" - ")[0]  # less Python's advice about opening files
        raise ImportRefused(
            f"nothing imported: line {reader.line_num + 1} is not valid CSV ({reason}); "
            "end each line with a line feed (or CR LF) and quote any cell holding a line break",
            [refusal(reader.line_num + 1, "file", "csv_malformed", reason)]) from None
    _refuse_bad_text(rows)
    return rows


def decoded(data: str | bytes) -> str:
    """The file's text; refused, naming the line and column, when it is not UTF-8."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        message = (f"line {line} is not UTF-8 text: byte 0x{data[error.start]:02X} at "
                   f"column {column} ({error.reason}); save the file as CSV UTF-8")
        raise ImportRefused(f"nothing imported: {message}",
                            [refusal(line, "file", "csv_not_utf8", message)]) from None


def _refuse_bad_text(rows: list[tuple[int, dict[str, str]]]) -> None:
    """Every cell the text rule refuses, each by line, column and rule; the file whole."""
    refused = []
    for line, row in rows:
        for field, value in row.items():
            cells = value if isinstance(value, list) else [value]  # extra cells come as a list
            for cell in cells:
                found = text_problem(cell, field or "file", multiline=False)
                if found is not None:
                    refused.append(refusal(line, field or "file", *found))
    if refused:
        raise ImportRefused(
            "nothing imported: " + "; ".join(f"line {r['line']}: {r['message']}"
                                             for r in refused), refused)


def _rows(reader: csv.DictReader) -> list[tuple[int, dict[str, str]]]:
    columns = [c.strip() for c in reader.fieldnames or []]
    unknown = [c for c in columns if c not in AUTHORITY_FIELDS]
    missing = [c for c in ("name", "authority_type", "region") if c not in columns]
    if unknown or missing:
        raise ImportRefused(
            f"nothing imported: the header must use the columns {', '.join(AUTHORITY_FIELDS)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else ""),
            [refusal(1, "header", "csv_columns", "unknown or missing columns")])
    rows = []
    for row in reader:
        clean: dict[Any, Any] = {k.strip(): (v or "").strip() for k, v in row.items()
                                 if k is not None}
        if row.get(None):
            clean[None] = row[None]
        if any(clean.values()):
            rows.append((reader.line_num, clean))
    if not rows:
        raise ImportRefused("nothing imported: the file has no rows",
                            [refusal(1, "file", "csv_empty", "the file has no rows")])
    return rows


def refusal(line: int, field: str | None, rule: str, message: str) -> dict[str, Any]:
    return {"line": line, "field": field, "rule": rule, "message": message}
