"""A register peer's casework account, and the rule a picker asks before offering a peer."""

from domain.peers import Peer, conflict_of


def a_peer() -> Peer:
    return Peer.accredit(name="Pete Peer", role="officer", organisation="Eastshire County Council",
                         problem_natures=["capacity"], service_areas=["finance"],
                         days_per_quarter=5, actor_id="cora", registered=lambda name: name)


def test_a_peer_has_no_account_until_one_is_linked_and_each_change_is_recorded():
    peer = a_peer()
    assert peer.account is None
    peer.link_account(account="pete", actor_id="cora")
    peer.link_account(account="pete", actor_id="cora")  # no change, nothing recorded
    peer.link_account(account=None, actor_id="cora")
    recorded = [type(e).__name__ for e in peer.collect_events()]
    assert recorded == ["Accredited", "AccountLinked", "AccountLinked"]
    assert peer.account is None


def test_the_rule_a_picker_asks_is_the_one_a_deployment_applies():
    peer = a_peer()
    for authority in ("Eastshire County Council", "eastshire county council", "Westshire"):
        assert conflict_of(name=peer.name, organisation=peer.organisation,
                           council=peer.council, conflicts_of_interest=(),
                           authority=authority) == peer.conflict(authority)
    assert peer.conflict("Eastshire County Council")[0] == "peer_own_council"
    assert conflict_of(name="Nia", organisation="NSPCC", council=None,
                       conflicts_of_interest=["Westshire"], authority="Westshire")[0] \
        == "peer_conflict_of_interest"
