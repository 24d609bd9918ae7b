"""Reading a CSV file of authorities: whole rows with line numbers, or a clear refusal.

The file's header must use the register's own field names, so a spreadsheet
exported from the register imports back unchanged.
"""

import csv
import io
from typing import Any

from domain.authorities import AUTHORITY_FIELDS
from domain.errors import InvalidField


class ImportRefused(InvalidField):
    """A CSV file with bad rows: nothing was imported; `rows` says what was wrong where."""

    rule = "csv_rows_refused"

    def __init__(self, message: str, rows: list[dict[str, Any]]):
        super().__init__(message, field="file")
        self.rows = rows


def read_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; a file with unknown or missing columns is refused whole."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        return _rows(reader)
    except csv.Error as error:
        reason = str(error).split(" - ")[0]  # less Python's advice about opening files
        raise ImportRefused(
            f"nothing imported: line {reader.line_num + 1} is not valid CSV ({reason}); "
            "end each line with a line feed (or CR LF) and quote any cell holding a line break",
            [refusal(reader.line_num + 1, "file", "csv_malformed", reason)]) from None


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
