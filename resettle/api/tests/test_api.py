"""The API answers with the same scoping, field minimisation and audit as the web UI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from resettle.api.tokens import create_token
from resettle.audit.models import AuditEvent
from resettle.casework.models import Hold, HoldStatus
from resettle.registry.models import Household
from resettle.testing.fixtures import SmallCamp

BASE = "/api/v1"


def bearer(camp: SmallCamp, username: str, *, read_only: bool = False) -> dict[str, str]:
    user = camp.users[username]
    issued = create_token(actor=user, user=user, name="test", read_only=read_only)
    return {"Authorization": f"Bearer {issued.secret}"}


def test_schema_is_served_and_documents_the_envelope(client: Client, camp: SmallCamp) -> None:
    schema = client.get(f"{BASE}/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert f"{BASE}/households/search" in paths and "post" in paths[f"{BASE}/households/search"]
    assert f"{BASE}/households/{{household_id}}/transitions" in paths
    assert "ErrorOut" in schema["components"]["schemas"]


def test_no_token_or_a_bad_token_is_401_in_the_envelope(client: Client, camp: SmallCamp) -> None:
    for headers in ({}, {"Authorization": "Bearer rst_nope_nope"}):
        response = client.get(f"{BASE}/households", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_liaison_token_cannot_read_a_household_submitted_elsewhere(
    client: Client, camp: SmallCamp
) -> None:
    auth = bearer(camp, "liaison-de")
    own = client.get(f"{BASE}/households/{camp.household_de.pk}", headers=auth)
    assert own.status_code == 200
    other = client.get(f"{BASE}/households/{camp.household_no.pk}", headers=auth)
    missing = client.get(f"{BASE}/households/00000000-0000-4000-8000-000000000000", headers=auth)
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    listed = client.get(f"{BASE}/households", headers=auth).json()
    assert [h["reference"] for h in listed["results"]] == ["H00001"] and listed["count"] == 1
    subs = client.get(f"{BASE}/submissions", headers=auth).json()["results"]
    assert {s["destination"] for s in subs} == {"DE"}


def test_fields_a_role_may_not_see_are_absent(client: Client, camp: SmallCamp) -> None:
    liaison = client.get(f"{BASE}/households/{camp.household_de.pk}",
                         headers=bearer(camp, "liaison-de")).json()
    person = liaison["members"][0]["person"]
    assert "given_name" in person
    for hidden in ("given_name_original", "phone", "status"):
        assert hidden not in person
    assert "stage" not in liaison and "risk" not in liaison
    caseworker = client.get(f"{BASE}/households/{camp.household_de.pk}",
                            headers=bearer(camp, "caseworker")).json()
    assert "stage" in caseworker
    assert any(m["person"].get("given_name_original") == "حسین" for m in caseworker["members"])


def test_search_is_a_post_and_matches_across_scripts(client: Client, camp: SmallCamp) -> None:
    auth = bearer(camp, "caseworker")
    response = client.post(f"{BASE}/households/search", json.dumps({"q": "حسين کريمي"}),
                           content_type="application/json", headers=auth)
    assert response.status_code == 200
    assert [h["reference"] for h in response.json()["results"]] == ["H00001"]
    assert client.get(f"{BASE}/households/search", headers=auth).status_code in (404, 405)


def test_filters_are_the_list_pages_filters(client: Client, camp: SmallCamp) -> None:
    auth = bearer(camp, "caseworker")
    Hold.objects.create(person=camp.household_no.memberships.get().person, hold_type="legal",
                        reason="arrest_warrant", status=HoldStatus.ACTIVE,
                        start_date=date(2026, 1, 1))
    def refs(query: str) -> list[str]:
        body = client.get(f"{BASE}/households?{query}", headers=auth).json()
        return [h["reference"] for h in body["results"]]
    assert refs("stage=registered") == ["H00003"]
    assert refs("destination=DE") == ["H00001"]
    assert refs("hold_type=legal") == ["H00002"]
    assert refs("registration_id=R-0002") == ["H00001"]


def test_pagination_envelope(client: Client, camp: SmallCamp) -> None:
    auth = bearer(camp, "caseworker")
    first = client.get(f"{BASE}/persons?page_size=2", headers=auth).json()
    assert first["count"] == 4 and len(first["results"]) == 2
    assert "page=2" in first["next"]
    second = client.get(first["next"], headers=auth).json()
    assert len(second["results"]) == 2 and second["next"] is None
    too_big = client.get(f"{BASE}/persons?page_size=501", headers=auth)
    assert too_big.status_code == 422 and too_big.json()["error"]["code"] == "invalid_input"


def test_read_only_token_cannot_write(client: Client, camp: SmallCamp) -> None:
    auth = bearer(camp, "caseworker", read_only=True)
    response = client.post(
        f"{BASE}/households/{camp.household_new.pk}/transitions",
        json.dumps({"to": "assessed"}), content_type="application/json",
        headers={**auth, "If-Match": '"v1"'},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "read_only_token"
    assert Household.objects.get(pk=camp.household_new.pk).stage == "registered"


def test_transition_with_etag_and_if_match(client: Client, camp: SmallCamp) -> None:
    auth = bearer(camp, "caseworker")
    url = f"{BASE}/households/{camp.household_new.pk}"
    etag = client.get(url, headers=auth)["ETag"]
    body = json.dumps({"to": "assessed", "reason": "interview done"})
    missing = client.post(f"{url}/transitions", body, content_type="application/json", headers=auth)
    assert missing.status_code == 428
    done = client.post(f"{url}/transitions", body, content_type="application/json",
                       headers={**auth, "If-Match": etag})
    assert done.status_code == 200, done.content
    assert done.json()["to_stage"] == "assessed"
    stale = client.post(f"{url}/transitions", json.dumps({"to": "registered"}),
                        content_type="application/json", headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    assert AuditEvent.objects.filter(object_id=str(camp.household_new.pk),
                                     action__startswith="household.").exists()


def test_a_blocked_transition_is_refused_with_reasons(client: Client, camp: SmallCamp) -> None:
    auth = bearer(camp, "caseworker")
    url = f"{BASE}/households/{camp.household_new.pk}"
    etag = client.get(url, headers=auth)["ETag"]
    refused = client.post(f"{url}/transitions", json.dumps({"to": "booked"}),
                          content_type="application/json", headers={**auth, "If-Match": etag})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "transition_refused" and error["details"]["reasons"]


def test_idempotency_key_replays_the_first_answer(client: Client, camp: SmallCamp) -> None:
    auth = bearer(camp, "caseworker")
    url = f"{BASE}/households/{camp.household_new.pk}"
    etag = client.get(url, headers=auth)["ETag"]
    body = json.dumps({"to": "assessed"})
    headers = {"If-Match": etag, "Idempotency-Key": "k-1", **auth}
    first = client.post(f"{url}/transitions", body, content_type="application/json",
                        headers=headers)
    again = client.post(f"{url}/transitions", body, content_type="application/json",
                        headers=headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    other = client.post(f"{url}/transitions", json.dumps({"to": "registered"}),
                        content_type="application/json", headers=headers)
    assert other.status_code == 422


def test_liaison_posts_a_decision_for_its_own_destination_only(
    client: Client, camp: SmallCamp
) -> None:
    de = client.get(f"{BASE}/submissions", headers=bearer(camp, "liaison-de")).json()["results"][0]
    no_auth = bearer(camp, "liaison-no")
    foreign = client.post(f"{BASE}/submissions/{de['id']}/decision",
                          json.dumps({"decision": "accepted"}),
                          content_type="application/json", headers=no_auth)
    assert foreign.status_code == 404
    own = client.post(f"{BASE}/submissions/{de['id']}/decision",
                      json.dumps({"decision": "accepted"}), content_type="application/json",
                      headers=bearer(camp, "liaison-de"))
    assert own.status_code == 200, own.content
    assert own.json()["decision"] == "accepted"
    assert Household.objects.get(pk=camp.household_de.pk).stage == "decided"


@pytest.mark.parametrize("username", ["registrar", "liaison-de"])
def test_roles_without_the_action_get_403(client: Client, camp: SmallCamp, username: str) -> None:
    response = client.get(f"{BASE}/incidents" if username == "liaison-de" else
                          f"{BASE}/allocation-runs", headers=bearer(camp, username))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_tokens_cli_prints_once_and_stores_only_a_hash(camp: SmallCamp, capsys) -> None:
    from django.core.management import call_command

    from resettle.api.models import ApiToken

    call_command("tokens", "create", "--user", "caseworker", "--read-only",
                 "--expires-days", "7")
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("rst_")
    token = ApiToken.objects.get(user=camp.users["caseworker"])
    assert token.read_only and secret not in token.digest
    headers = {"Authorization": f"Bearer {secret}"}
    assert Client().get(f"{BASE}/stats", headers=headers).status_code == 200
    call_command("tokens", "revoke", token.prefix)
    assert Client().get(f"{BASE}/stats", headers=headers).status_code == 401
