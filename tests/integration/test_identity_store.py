"""Users and tokens on both stores, surviving a restart."""

import time

import pytest

from services.identity.service import Unauthenticated, UserExists, build_identity_service


@pytest.fixture
def open_identity(settings):
    opened = []

    def make():
        opened.append(build_identity_service(settings))
        return opened[-1]

    yield make
    for service in opened:
        service.close()


def test_a_token_is_recognised_after_a_restart_and_only_its_digest_is_stored(open_identity):
    first = open_identity()
    first.register_user(username="cora", role="coordinator", region="North West")
    token = first.issue_token("cora")
    stored = b"".join(e.state for e in first.recorder.select_notifications(start=1, limit=100))
    assert token.encode() not in stored
    again = open_identity()
    assert again.authenticate(token).id == "cora"
    with pytest.raises(Unauthenticated):
        again.authenticate(token + "x")


def test_a_recognised_token_is_believed_only_for_the_cache_time(open_identity, settings):
    """Deactivation here ends the token at once; one made elsewhere within the cache time."""
    api = open_identity()
    api.token_cache_seconds = 0.5
    api.register_user(username="cora", role="coordinator", region="North West")
    api.register_user(username="ines", role="inspector")
    cora, ines = api.issue_token("cora"), api.issue_token("ines")
    assert api.authenticate(cora).id == "cora" and api.authenticate(ines).id == "ines"

    api.deactivate("ines")
    with pytest.raises(Unauthenticated):
        api.authenticate(ines)

    open_identity().deactivate("cora")  # the command line, in another process
    assert api.authenticate(cora).id == "cora"  # still believed within the cache time
    time.sleep(0.6)
    with pytest.raises(Unauthenticated):
        api.authenticate(cora)


def test_a_username_is_taken_once(open_identity):
    service = open_identity()
    service.register_user(username="ines", role="inspector")
    with pytest.raises(UserExists):
        service.register_user(username="ines", role="admin")


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_the_command_line_refuses_a_liaison_for_a_council_not_in_the_register(
        settings, monkeypatch, capsys):
    from deploy.cli import main
    from services.registers.service import RegisterService

    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    args = ["users", "add", "lia", "--role", "authority liaison", "--authority",
            "Northshire County Council"]
    assert main(args) == 2
    assert "register of authorities" in capsys.readouterr().err
    registers = RegisterService(settings.eventsourcing_env())
    registers.register_authority(actor_id="t", name="Northshire County Council",
                                 authority_type="county", region="North West")
    registers.close()
    assert main(args) == 0
    assert main(["users", "add", "rex", "--role", "coordinator", "--region", "Atlantis"]) == 2


def test_an_email_address_is_kept_changed_and_read_by_the_notices(open_identity, settings,
                                                                   monkeypatch, capsys):
    from deploy.cli import main

    monkeypatch.setenv("CASEWORK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CASEWORK_STORE", settings.store)
    monkeypatch.setenv("CASEWORK_POSTGRES_URL", settings.postgres_url)
    monkeypatch.setenv("CASEWORK_POSTGRES_SCHEMA", settings.postgres_schema)
    assert main(["users", "add", "cora", "--role", "coordinator", "--region", "North West",
                 "--email", "cora@riep.example"]) == 0
    assert main(["users", "add", "carl", "--role", "coordinator", "--region", "North West"]) == 0
    assert main(["users", "add", "bad", "--role", "peer", "--email", "nobody"]) == 2
    assert "email must be an email address" in capsys.readouterr().err
    service = open_identity()
    assert service.email_of("cora") == "cora@riep.example"
    assert service.coordinators_of("North West") == ["cora@riep.example"]
    assert main(["users", "set-email", "carl", "carl@riep.example"]) == 0
    assert sorted(open_identity().coordinators_of("North West")) == [
        "carl@riep.example", "cora@riep.example"]
    service.deactivate("cora")
    assert open_identity().email_of("cora") == ""
