"""Sessions kept in the store's database, on both stores: any process finds them."""

from services.identity.web_sessions import SessionStore
from services.platform.settings import Settings


def test_a_session_started_by_one_process_is_found_and_ended_by_another(settings: Settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    one, other = (SessionStore(settings, idle_seconds=60) for _ in range(2))
    try:
        session = one.start("cw_a-token")
        assert other.find(session.id) == session
        assert other.find(session.id + "x") is None
        other.end(session.id)
        assert one.find(session.id) is None
    finally:
        one.close()
        other.close()
