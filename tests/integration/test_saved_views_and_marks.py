"""Saved views of My work and notification marks, kept in side tables on both stores."""

import pytest

from domain.errors import InvalidField, RuleViolation
from services.caselist.inbox_marks import DONE, SEEN, InboxMarks
from services.caselist.migrations import current_version, migrate
from services.caselist.saved_views import SavedViews, ViewNotFound

OVERDUE = {"overdue": "yes", "status": "open", "sort": "due"}


@pytest.fixture(autouse=True)
def data_dir(settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def views(settings):
    store = SavedViews(settings)
    yield store
    store.close()


@pytest.fixture
def marks(settings):
    store = InboxMarks(settings)
    yield store
    store.close()


def test_a_saved_view_is_there_for_its_owner_from_another_process(settings, views):
    views.save("cora", "Overdue first", OVERDUE)
    again = SavedViews(settings)  # another process, or after signing out and in
    try:
        [view] = again.views_for("cora", "North West")
    finally:
        again.close()
    assert (view.owner, view.name, view.query) == ("cora", "Overdue first", OVERDUE)
    assert views.views_for("carla", "North West") == []  # not shared: nobody else's


def test_only_my_works_filters_are_kept(views):
    saved = views.save("cora", "Mine", {**OVERDUE, "region": "London", "cursor": "x"})
    assert saved.query == OVERDUE


def test_a_name_is_unique_per_person_whatever_its_capitals(views):
    views.save("cora", "Overdue first", OVERDUE)
    with pytest.raises(RuleViolation) as refused:
        views.save("cora", "overdue FIRST", {})
    assert refused.value.rule == "view_name_taken"
    views.save("carla", "Overdue first", {})  # another person's names are their own
    assert [v.name for v in views.views_for("cora")] == ["Overdue first"]


@pytest.mark.parametrize(("name", "rule"), sorted([
    ("", "view_name_blank"), ("   ", "view_name_blank"), ("x" * 61, "view_name_too_long"),
    ("Over\x00due", "no_control_characters"), ("Over\ndue", "no_control_characters"),
    ("\u202eeud", "no_bidi_controls"), ("\u200b", "no_invisible_only_text")]))
def test_a_name_is_plain_text_on_one_line(views, name, rule):
    with pytest.raises(InvalidField) as refused:
        views.save("cora", name, OVERDUE)
    assert (refused.value.field, refused.value.rule) == ("name", rule)
    assert views.views_for("cora") == []  # nothing written


def test_a_view_is_renamed_and_deleted_by_its_owner_only(views):
    views.save("cora", "Overdue", OVERDUE)
    views.save("cora", "Risky", {"sort": "risk"})
    with pytest.raises(RuleViolation):
        views.rename("cora", "Overdue", "RISKY")
    views.rename("cora", "Overdue", "Overdue first")
    with pytest.raises(ViewNotFound):
        views.delete("carla", "Overdue first")
    views.delete("cora", "Risky")
    assert [(v.name, v.query) for v in views.views_for("cora")] == [("Overdue first", OVERDUE)]


def test_a_shared_view_reaches_the_coordinators_of_the_region_only(views):
    views.save("cora", "Overdue", OVERDUE)
    views.save("carla", "Mine", {})
    views.share("cora", "Overdue", "North West")
    [own, shared] = views.views_for("carla", "North West")
    assert (own.name, shared.name, shared.owner) == ("Mine", "Overdue", "cora")
    assert [v.name for v in views.views_for("nina", "North East")] == []
    views.share("cora", "Overdue", None)
    assert [v.name for v in views.views_for("carla", "North West")] == ["Mine"]


def test_marks_are_each_persons_and_done_is_seen_too(marks):
    marks.mark("cora", "reminder:1", SEEN)
    marks.mark("cora", "reminder:2", DONE)
    marks.mark("cora", "reminder:2", SEEN)  # marking again changes nothing
    assert marks.marks_of("cora") == {"reminder:1": (True, False), "reminder:2": (True, True)}
    assert marks.marks_of("lia") == {}


def test_migrations_11_and_12_make_the_tables(settings):
    applied = migrate(settings)
    assert {11, 12} <= set(applied) and current_version(settings) >= 12
    store = SavedViews(settings)
    try:
        store.save("cora", "After migrating", OVERDUE)
        assert [v.name for v in store.views_for("cora")] == ["After migrating"]
    finally:
        store.close()
