"""Sending a sign-in link by email: the link made, the fact recorded, the message sent.

Here, above identity, because the sending goes through the notices' own email path
(EmailNotifier and the `smtp_*` settings) and identity may not import reminders.
"""

import secrets
from typing import Any

from domain.errors import InvalidField, RuleViolation
from services.cases.workflow_contract import Notice
from services.identity.service import IdentityService
from services.identity.sign_in_links import SignInLinks
from services.platform.settings import Settings
from services.reminders.notifiers import DeliveryFailed, EmailNotifier


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

    def send(self, username: str, *, sent_by: str, base_url: str = "") -> dict[str, Any]:
        """Email the person a new link; the person as they now are. Refused (and nothing
        sent) when they have no address or email is not set up here."""
        person = self.identity.user(username)
        if not person["active"]:
            raise RuleViolation("the user is deactivated", rule="inactive_user")
        if not person["email"]:
            raise InvalidField("give the person an email address first", field="email")
        if not self.email.enabled:
            raise RuleViolation("email is not set up for casework: ask the people who run it "
                                "to set an SMTP host", rule="email_not_set_up")
        token = self.links.make(username, sent_by=sent_by)
        url = f"{(self.base_url or base_url).rstrip('/')}/sign-in/link/{token}"
        try:
            self.email.send(self._notice(person, url), person["email"])
        except DeliveryFailed:
            self.links.cancel(username)
            raise RuleViolation("the email could not be sent; try again later",
                                rule="email_not_sent") from None
        return self.identity.sign_in_link_sent(username, sent_by=sent_by)

    def _notice(self, person: dict[str, Any], url: str) -> Notice:
        hours = f"{self.hours:g} hours"
        body = (f"Dear {person['name'] or person['username']},\n\n"
                f"Use this link to sign in to casework:\n\n{url}\n\n"
                f"It works once, for {hours}. Open it, then press \"Sign in\". If it has "
                "stopped working, ask your coordinator or administrator for a new one.\n")
        return Notice(key=f"sign-in-link-{secrets.token_hex(8)}", case_id="", authority="",
                      region="", subject="Your link to sign in to casework", body=body)
