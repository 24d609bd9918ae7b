"""The case file: one case, as its reader may read it, printed to PDF on A4.

Rendered on the server from templates/case_file.html by WeasyPrint (CSS paged media,
no browser process per request). It is made from the same readable view as the case
page (`case_for`, `readable_history`), so what the page withholds from this reader the
file withholds too. Without WeasyPrint or its Pango library the download answers 503 in
words: the rest of the service does not need it.
"""

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.routes import cases as case_routes
from api.threads import in_thread
from api.views import case_for
from api.web.case_pages import case_access, readable_history
from api.web.document_words import KINDS, size_words, step_label, type_words, visible
from api.web.people import Directory, directory
from api.web.pickers import deployment_peers
from api.web.rendering import env
from api.web.routing import PageRoute, Who, problem_page
from domain.confidentiality import is_chatham_house
from domain.identity import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)


class NoRenderer(Exception):
    """WeasyPrint, or the Pango library it draws text with, is not installed."""


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """The case file fetches nothing: its styles are inline and it links to no image."""
    raise ValueError(f"the case file fetches nothing ({url})")


def _refusing_fetcher() -> Any:
    """A fetcher that fetches nothing, as this WeasyPrint takes one. From version 68 a
    fetcher is a `URLFetcher` (a bare function there turns any fetch, of a `file://`
    or `http://` address named anywhere, into a 500); before, a function."""
    from weasyprint import urls

    base = getattr(urls, "URLFetcher", None)
    if base is None:
        return _refuse_fetch

    class Refusing(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: Any = None) -> Any:
            return _refuse_fetch(url)

    return Refusing(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)


def pdf_of(html: str) -> bytes:
    """The page printed to PDF by WeasyPrint (imported here: it loads Pango when imported)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as missing:
        raise NoRenderer(str(missing)) from None
    return bytes(HTML(string=html, url_fetcher=_refusing_fetcher()).write_pdf())


def file_name(case: dict[str, Any]) -> str:
    """The reference, or else the council's name, as a file name any system keeps."""
    name = str(case.get("reference") or case.get("authority") or "case")
    return (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "case") + "-case-file.pdf"


def filed_documents(who: Principal, shown: dict[str, Any], known: dict[str, Any],
                    people: Directory) -> list[dict[str, Any]]:
    """The documents this reader may see, as the file lists them: title, kind, step,
    size and SHA-256, so a board member holding a copy can tell it is the one the case
    recorded. A Chatham House one is left out for a reader it is withheld from, as the
    case page leaves it out."""
    return [{"title": d.get("title") or "Untitled document",
             "kind": KINDS.get(str(d.get("kind")), "Document"),
             "step": step_label(shown, d["step"], d.get("step_ref") or "", people),
             "size": f"{type_words(str(d.get('media_type')))}, "
                     f"{size_words(int(d.get('size') or 0))}",
             "sha256": d.get("sha256") or "", "chatham_house": is_chatham_house(d),
             "redacted": (d.get("redacted") or {}).get("note")}
            for d in visible(who, shown, known)]


@router.get("/case/{case_id}/case-file.pdf")
async def case_file(request: Request, case_id: UUID, who: Who) -> Response:
    access, known = await case_access(request, who, "read case")
    case_routes.readable(access)  # poison: the problem page, as the case page answers
    case = case_for(who, known)
    events, verification = await readable_history(request, who, case_id, known)
    people = await directory(request)
    html = env.get_template("case_file.html").render(
        case=case, events=events, verification=verification, people=people, who=who,
        deployment_peers=deployment_peers(people, case), printed_at=datetime.now(UTC),
        documents=filed_documents(who, case, known, people))
    try:
        pdf = await in_thread(pdf_of, html)
    except NoRenderer:
        return problem_page(request, 503, "The case file cannot be made now",
                            "The service cannot print PDF files at the moment. Read the case "
                            "on its page, or print that page from your browser.")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{file_name(case)}"',
        "Cache-Control": "no-store"})
