"""Who has seen what: the kinds of read the access log records, and the doors they use.

A read of a case (or a search) by a person is recorded in an access log of its
own, beside the case's history (services/audit/access_log.py). Who may read that
log is a role rule: the action "read access log" in domain/identity.py (an
inspector or administrator on any case, a coordinator on their own region's).
"""

from enum import StrEnum


class Seen(StrEnum):
    """What a person read."""

    PAGE = "page"  # the case's page, or another page of the case (a form, matches)
    STATE = "state"  # the case's current state through the API (GET /cases/{id}, /stage)
    HISTORY = "history"
    AS_OF = "as of"  # what was known at a version or a moment
    VERIFICATION = "verification"
    EXPORT = "export"
    DOCUMENT = "document"
    CASE_FILE = "case file"
    ACCESS_LOG = "access log"  # who has seen the case: reading it is a read too
    SEARCH = "search"


class Door(StrEnum):
    """Through which door: a page in a browser, or the API (a program or a person's tool)."""

    PAGE = "page"
    API = "api"


SEEN_WORDS: dict[Seen, str] = {
    Seen.PAGE: "Opened the case's page",
    Seen.STATE: "Read the case's current state",
    Seen.HISTORY: "Read the case's history",
    Seen.AS_OF: "Read the case as it stood on an earlier date",
    Seen.VERIFICATION: "Checked the case's history",
    Seen.EXPORT: "Downloaded the case's history",
    Seen.DOCUMENT: "Downloaded a document",
    Seen.CASE_FILE: "Downloaded the case file",
    Seen.ACCESS_LOG: "Looked at who has seen the case",
    Seen.SEARCH: "Searched the cases",
}
"""A read as a page says it."""

DOOR_WORDS: dict[Door, str] = {Door.PAGE: "On a page", Door.API: "Through the API"}

MAX_QUERY_KEPT = 200
"""A search's words are kept up to this many characters (a search takes no more)."""
