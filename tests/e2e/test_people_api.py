"""The users API obeys the rule of who manages whom (domain/identity.py `may_manage`)."""

from tests.e2e.conftest import bearer
from tests.helpers import OPEN_CASE


async def test_a_coordinator_manages_their_regions_people_and_no_one_elses(http, tokens):
    cora = bearer(tokens["coordinator"])
    region = OPEN_CASE["region"]
    made = await http.post("/users", headers=cora, json={
        "username": "nia", "role": "adviser", "region": region, "email": "nia@riep.example"})
    assert made.status_code == 201, made.text
    liaison = await http.post("/users", headers=cora, json={
        "username": "lou", "role": "authority liaison", "authority": OPEN_CASE["authority"]})
    assert liaison.status_code == 201, liaison.text
    for outside in ({"username": "sam", "role": "adviser", "region": "South East"},
                    {"username": "sue", "role": "authority liaison",
                     "authority": "Southshire District Council"},
                    {"username": "ian", "role": "inspector"},
                    {"username": "col", "role": "coordinator", "region": region}):
        refused = await http.post("/users", headers=cora, json=outside)
        assert refused.status_code == 403, (outside, refused.text)
    listed = {u["username"] for u in (await http.get("/users", headers=cora)).json()}
    assert {"nia", "lou", "lia"} <= listed
    assert not listed & {"olga", "otto", "ada", "ines", "adam", "cora"}
    assert (await http.patch("/users/nia", headers=cora, json={"digest": True})).status_code == 200
    assert (await http.patch("/users/olga", headers=cora, json={"digest": True})).status_code == 403
    assert (await http.post("/users/otto/deactivation", headers=cora)).status_code == 403
    assert (await http.post("/users/nia/deactivation", headers=cora)).status_code == 204
    everyone = {u["username"] for u in (await http.get("/users", headers=bearer(
        tokens["admin"]))).json()}
    assert {"olga", "otto", "ada", "nia", "cora"} <= everyone
