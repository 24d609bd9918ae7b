"""A value posted for a person or record must be one the form offered."""

from api.web.forms import Choice, FieldError, FormField
from api.web.pickers import unchosen

PEER = FormField(name="peer_id", id="peer-id", label="Peer", kind="select",
                 options=(Choice("p-1", "Pete Peer, officer, Eastshire County Council"),))
MISSING_REASON = FieldError("reason", "missing", "Field required")


def test_a_value_not_offered_is_refused_in_plain_words_beside_the_other_errors():
    errors = unchosen([PEER], {"peer_id": "p-2"}, [MISSING_REASON])
    assert [(e.field, e.message) for e in errors] == [
        ("peer_id", "Choose peer from the list"), ("reason", "Field required")]


def test_a_value_offered_or_none_at_all_is_left_to_the_form_and_the_domain():
    assert unchosen([PEER], {"peer_id": "p-1"}, []) == []
    assert unchosen([PEER], {}, [MISSING_REASON]) == [MISSING_REASON]
