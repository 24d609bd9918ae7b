"""The demo set: the nine regions with councils, peers, offers and budgets."""

from datetime import UTC, datetime

from services.ops.demo_data import load_demo
from services.platform.settings import Settings
from services.registers.service import RegisterService

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_the_demo_set_covers_every_region_and_loads_only_once(settings: Settings):
    registers = RegisterService(settings.eventsourcing_env(), clock=lambda: NOW)
    try:
        first = load_demo(registers, today=NOW)
        again = load_demo(registers, today=NOW)
        picture = registers.regional_picture()
        assert first["authorities"] == len(registers.list_authorities()) > 9
        assert again == {"authorities": 0, "peers": 0, "offers": 0, "budgets": 0}
        assert len(picture) == 9 and all(r["authorities"] >= 3 for r in picture)
        assert all(r["budget"]["allocation"] * 20 == r["budget"]["total"] for r in picture)

        found = registers.match(authority="Ashby Vale District Council",
                                problem_natures=["financial", "capability"], days=3)
        excluded = {e["name"] for e in found["excluded"]}
        assert "Trentside finance review" in excluded  # it assesses Ashby Vale
        assert "Dev Sharma" in {m["name"] for m in found["peers"]}  # another council's peer
        assert found["offers"] and found["peers"]
        own = registers.match(authority="Eastshire County Council",
                              problem_natures=["financial"])
        assert "Dev Sharma" in {e["name"] for e in own["excluded"]}  # his own council

        children = registers.match(authority="Soarbridge City Council",
                                   problem_natures=["capability"],
                                   service_areas=["children's services"])
        assert "Marcus Bell" in {m["name"] for m in children["peers"]}  # a charity's official
        conflicted = registers.match(authority="Ouse Valley County Council",
                                     problem_natures=["capability"])
        assert "Marcus Bell" in {e["name"] for e in conflicted["excluded"]}  # recorded conflict
    finally:
        registers.close()
