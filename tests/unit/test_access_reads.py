"""Which requests are reads of a case (or searches), by path: the one list the access log
records from, documents included before any route serves them."""

import pytest

from api.access_reads import read_in

CASE = "0d5c9a4e-8d0a-4a53-9a1e-0c8f3c9f2b11"


@pytest.mark.parametrize("path, what, door", [
    (f"/cases/{CASE}", "state", "api"),
    (f"/cases/{CASE}/stage", "state", "api"),
    (f"/cases/{CASE}/history", "history", "api"),
    (f"/cases/{CASE}/as-of", "as of", "api"),
    (f"/cases/{CASE}/verification", "verification", "api"),
    (f"/cases/{CASE}/export", "export", "api"),
    (f"/cases/{CASE}/export.zip", "export", "api"),
    (f"/cases/{CASE}/documents/3f1c", "document", "api"),
    (f"/cases/{CASE}/access-log", "access log", "api"),
    (f"/case/{CASE}", "page", "page"),
    (f"/case/{CASE}/case-file.pdf", "case file", "page"),
    (f"/case/{CASE}/export.jsonl", "export", "page"),
    (f"/case/{CASE}/documents/3f1c", "document", "page"),
    (f"/case/{CASE}/do/record-diagnosis", "page", "page"),
    (f"/case/{CASE}/access-log", "access log", "page"),
])
def test_every_path_under_a_case_is_a_read_of_that_case(path, what, door):
    assert read_in(path, b"") == (what, door, CASE, None)


def test_a_search_is_a_read_with_its_words_and_a_list_without_words_is_not():
    assert read_in("/cases", b"q=Northshire+council&limit=5") == (
        "search", "api", None, "Northshire council")
    assert read_in("/search", b"q=%E2%80%98shire") is not None
    assert read_in("/cases", b"limit=5") is None
    assert read_in("/search", b"q=+") is None
    assert read_in("/cases", b"q=weather&q=Chatham+House")[3] == "Chatham House"  # as searched


@pytest.mark.parametrize("path", ["/health", "/my-work", "/cases/NW-2026-0001",
                                  "/checkpoints/1", "/people/cora", "/case/new"])
def test_other_paths_are_not_reads_of_a_case(path):
    assert read_in(path, b"") is None
