"""The region policy page: a coordinator changes their own region's policy in the browser,
sees the change listed with their name, and a bad value is named on the form."""

from services.policy.service import PolicyService
from tests.web.browser import accessible, sign_in, visit
from tests.web.test_journeys import submit


def test_a_coordinator_changes_their_regions_policy_and_sees_it_recorded(
        browser, site, people, web_cases):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    cora.get_by_role("link", name="Region policy").click()
    accessible(cora)
    assert cora.url.endswith("/region-policy/North%20West")
    assert cora.input_value("#remind-every") == "2"
    assert cora.get_by_label("Unit").nth(1).input_value() == "working day"
    assert "PT" not in cora.inner_text("main")  # durations in words, never ISO-8601

    cora.fill("#remind-every", "soon")
    submit(cora, "Change the policy")
    summary = cora.locator(".govuk-error-summary").inner_text()
    assert "Enter the time between reminders as a whole number" in summary
    assert "remind_every" not in summary
    cora.fill("#remind-every", "0")  # the flood of issue 19: refused here as over HTTP
    submit(cora, "Change the policy")
    assert "longer than nothing" in cora.locator(".govuk-error-summary").inner_text()
    cora.fill("#remind-every", "2")
    cora.get_by_label("Email address that gets a copy of every notice").fill("nobody")
    submit(cora, "Change the policy")
    assert "Enter an email address in the correct format, like name@example.com" in \
        cora.inner_text("#notify-email-error")
    cora.get_by_label("Email address that gets a copy of every notice").fill("")

    cora.fill("#remind-every", "1")
    cora.select_option("#remind-every-unit", "hour")
    cora.fill("#missed-reminder-limit", "4")
    cora.get_by_label("Propose an escalation").check()
    submit(cora, "Change the policy")
    assert "The policy was changed" in cora.content()
    assert cora.input_value("#remind-every") == "1"
    assert cora.input_value("#remind-every-unit") == "hour"
    assert cora.get_by_label("Propose an escalation").is_checked()
    changes = cora.locator("table tbody tr").first.inner_text()
    assert "cora" in changes and "Time between reminders" in changes
    policies = PolicyService.beside(web_cases)
    try:
        policy = policies.policy_for("North West")
        assert (policy.missed_reminder_limit, str(policy.remind_every),
                policy.escalation) == (4, "3600 seconds", "proposed")
        assert [entry["actor_id"] for entry in policies.history("North West")] == ["cora"]
    finally:
        policies.close()


def test_other_regions_and_roles_are_refused_the_page(browser, site, people):
    cora = browser.new_context().new_page()
    sign_in(cora, site, people["coordinator"])
    visit(cora, f"{site}/region-policy/South East")
    assert "may not read region policy for South East" in cora.content()
    ines = browser.new_context().new_page()
    sign_in(ines, site, people["inspector"])
    assert ines.get_by_role("link", name="Region policy").count() == 0
    visit(ines, f"{site}/region-policy/North West")
    assert "only an admin, or a coordinator of the region" in ines.content()
