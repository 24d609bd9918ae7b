"""The CSV import keeps the text rule of the JSON API, on SQLite and on PostgreSQL.

Before, a council named with a NUL was imported (and could then never have a
case opened, since the API refuses that name everywhere else), and a file saved
as Latin-1 was stored with U+FFFD in place of every accented letter.
"""

from collections.abc import Iterator

import pytest

from services.platform.settings import Settings
from services.registers.service import ImportRefused, RegisterService

WHO = dict(actor_id="coordinator-1")
HEADER = "name,authority_type,region,sub_region\n"
GOOD = "Ashby District Council,district,East Midlands,Northshire\n"


@pytest.fixture
def registers(settings: Settings) -> Iterator[RegisterService]:
    service = RegisterService(settings.eventsourcing_env())
    yield service
    service.close()


def _refused(registers: RegisterService, data: str | bytes) -> list[dict]:
    with pytest.raises(ImportRefused) as refused:
        registers.import_authorities_csv(data, **WHO)
    assert registers.list_authorities() == [], "nothing is imported from a refused file"
    return [{k: r[k] for k in ("line", "field", "rule")} for r in refused.value.rows]


@pytest.mark.parametrize("cell, rule", [
    ("Nul\x00shire Council", "no_control_characters"),
    ("Bell\x07 Council", "no_control_characters"),
    ("\u202eLICNUOC\u202c Evil", "no_bidi_controls"),
    ("Isolated \u2066Council\u2069", "no_bidi_controls"),
    ("\u200b\u200d\ufeff", "no_invisible_only_text"),
    ("\u00ad\u2060", "no_invisible_only_text"),
])
def test_a_name_the_api_would_refuse_is_refused_naming_line_field_and_rule(
        registers, cell, rule):
    data = HEADER + GOOD + f"{cell},district,East Midlands,\n"
    assert _refused(registers, data) == [{"line": 3, "field": "name", "rule": rule}]


def test_every_bad_cell_of_every_line_is_listed(registers):
    data = (HEADER + "North\x00shire,district,East Midlands,\u200b\n" + GOOD
            + "Quoted \"\"ok\"\",district,East Midlands,\"two\nlines\"\n")
    assert _refused(registers, data) == [
        {"line": 2, "field": "name", "rule": "no_control_characters"},
        {"line": 2, "field": "sub_region", "rule": "no_invisible_only_text"},
        {"line": 5, "field": "sub_region", "rule": "no_control_characters"}]


def test_a_file_that_is_not_utf8_is_refused_naming_its_line(registers):
    data = (HEADER + GOOD + "Ynys M\u00f4n County Council,unitary,Wales,\n").encode("latin-1")
    with pytest.raises(ImportRefused) as refused:
        registers.import_authorities_csv(data, **WHO)
    [row] = refused.value.rows
    assert (row["line"], row["rule"]) == (3, "csv_not_utf8")
    assert "line 3 is not UTF-8 text: byte 0xF4 at column 7" in refused.value.message
    assert registers.list_authorities() == []


def test_utf8_letters_marks_and_joiners_inside_a_name_are_kept_exactly(registers):
    names = ["B\u00e9ziers-Ch\u00e2teau Council",   # accents
             "Ynys M\u00f4n County Council",
             "Al\u00adder\u00adley Council",          # soft hyphens inside a word
             "Mixed \u0645\u062c\u0644\u0633\u200f Council"]  # a right-to-left mark: allowed
    rows = "".join(f"{n},district,East Midlands,\n" for n in names)
    data = ("\ufeff" + HEADER + rows).encode()  # as Excel saves "CSV UTF-8": BOM first
    assert registers.import_authorities_csv(data, **WHO)["imported"] == 4
    stored = {a["name"] for a in registers.list_authorities()}
    assert stored == set(names)
    assert not any("\ufffd" in n for n in stored)
