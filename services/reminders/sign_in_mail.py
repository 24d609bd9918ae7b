"""Sending a sign-in link by email: the link made, the fact recorded, the message sent.

Here, above identity, because the sending goes through the notices' own email path
(EmailNotifier and the `smtp_*` settings) and identity may not import reminders.
"""

import secrets
from dataclasses import dataclass
from typing import Any

from domain.errors import RuleViolation
from domain.identity import NO_EMAIL_TO_SEND, Principal, may_hold_keys_for_others
from services.cases.workflow_contract import Notice
from services.identity.service import IdentityService
from services.identity.sign_in_links import SignInLinks
from services.platform.settings import Settings
from services.reminders.notifiers import DeliveryFailed, EmailNotifier


@dataclass(frozen=True)
class SentLink:
    """A link made for a person: emailed to them, or (`handed`) shown once to the person
    who asked for it, to pass on, where there is no address or no email here."""

    person: dict[str, Any]
    handed: str | None = None
    why_handed: str = ""


class SignInMail:
    """Sends people the links that let them in to the pages."""

    def __init__(self, settings: Settings, identity: IdentityService,
                 links: SignInLinks) -> None:
        self.identity, self.links = identity, links
        self.hours = settings.sign_in_link_hours
        self.base_url = settings.public_base_url
        self.email = EmailNotifier(settings.smtp_host, settings.smtp_port,
                                   settings.smtp_sender,
                                   timeout=settings.delivery_timeout_seconds)

    def send(self, username: str, *, sent_by: Principal, base_url: str = "") -> SentLink:
        """Email the person a new link. Where they have no address, or email is not set up
        here (a fresh `make run`), an administrator is handed the link to pass on instead:
        they may already make the person a token, so seeing it gives them nothing more.
        Anyone else is refused (domain/identity.py `may_hold_keys_for_others`)."""
        person = self.identity.user(username)
        if not person["active"]:
            raise RuleViolation("the user is deactivated", rule="inactive_user")
        why_not = ("" if person["email"] and self.email.enabled else
                   "they have no email address" if self.email.enabled else
                   "email is not set up for casework")
        if why_not and not may_hold_keys_for_others(sent_by):
            raise RuleViolation(f"{why_not}: ask an administrator to let them in",
                                rule=NO_EMAIL_TO_SEND)
        token = self.links.make(username, sent_by=sent_by.id)
        url = f"{(self.base_url or base_url).rstrip('/')}/sign-in/link/{token}"
        if why_not:
            return SentLink(self.identity.sign_in_link_handed_over(username,
                                                                   handed_by=sent_by.id),
                            handed=url, why_handed=why_not)
        try:
            self.email.send(self._notice(person, url), person["email"])
        except DeliveryFailed:
            self.links.cancel(username)
            raise RuleViolation("the email could not be sent; try again later",
                                rule="email_not_sent") from None
        return SentLink(self.identity.sign_in_link_sent(username, sent_by=sent_by.id))

    def _notice(self, person: dict[str, Any], url: str) -> Notice:
        hours = f"{self.hours:g} hours"
        body = (f"Dear {person['name'] or person['username']},\n\n"
                f"Use this link to sign in to casework:\n\n{url}\n\n"
                f"It works once, for {hours}. Open it, then press \"Sign in\". If it has "
                "stopped working, ask your coordinator or administrator for a new one.\n")
        return Notice(key=f"sign-in-link-{secrets.token_hex(8)}", case_id="", authority="",
                      region="", subject="Your link to sign in to casework", body=body)
