"""Bad input gets a 4xx naming the field and the rule, never a server error, on SQLite
and PostgreSQL (which refuses a NUL in text, and whose driver cannot send a lone
surrogate); ids reveal nothing about other case loads; creating POSTs run once per
``Idempotency-Key``; one referrer's reference is one intake, even sent twice at once."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select

from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import CM, bearer
from tests.api.test_case_managers import BASE, HOME, new_participant

NUL = "a\x00b"
SURROGATE = "a\udcffb"
OTHER = "/case-managers/cm-bob"


def raw_post(client: TestClient, url: str, body: Any, **headers: str) -> Any:
    """POST ``body`` as JSON text written by hand, so a lone surrogate goes out as the
    ``\\udcff`` escape any client may send."""
    return client.post(
        url,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


def participant_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": dict(HOME),
        "attributes": {"age": 30},
        "needs": [{"service_types": ["housing.shelter"]}],
    }
    body.update(overrides)
    return body


BAD_BODIES: dict[str, tuple[Callable[[str], dict[str, Any]], str | None]] = {
    "neighborhood": (
        lambda bad: participant_body(location={**HOME, "neighborhood": bad}),
        "location.neighborhood",
    ),
    "service_type": (
        lambda bad: participant_body(needs=[{"service_types": [bad]}]),
        "needs[0].service_types[0]",
    ),
    "gender": (lambda bad: participant_body(attributes={"gender": bad}), "attributes.gender"),
    "language": (lambda bad: participant_body(languages=[bad]), "languages[0]"),
    "key": (lambda bad: participant_body(**{bad: 1}), None),
}


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize("where", sorted(BAD_BODIES))
def test_text_the_store_cannot_hold_is_refused_naming_the_field(
    client: TestClient, where: str, text: str
) -> None:
    build, field = BAD_BODIES[where]
    answer = raw_post(client, f"{BASE}/participants", build(text))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["rule"] == ("nul_character" if text == NUL else "lone_surrogate")
    if field is not None:
        assert problem["field"] == field


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_every_creating_body_refuses_bad_text(client: TestClient, text: str) -> None:
    pid = new_participant(client)["id"]
    consent = {"recipient_type": "organization", "recipient_id": text, "categories": ["*"]}
    hold = {"participant_id": pid, "need_id": text, "program_id": "belltown-harbor-shelter"}
    capacity = {"open_slots": 1, "waitlist": 0, "reason": text}
    officer = bearer(client.engine, "referrer")  # type: ignore[attr-defined]
    refusals = [
        raw_post(client, f"{BASE}/participants/{pid}/consents", consent),
        raw_post(client, f"{BASE}/holds", hold),
        raw_post(client, f"{BASE}/participants/{pid}/plan", {"needs": [{"service_types": [text]}]}),
        client.put(
            "/providers/org-harbor/programs/belltown-harbor-shelter/capacity",
            content=json.dumps(capacity).encode(),
            headers={"Content-Type": "application/json"},
        ),
        raw_post(client, "/referrers/intakes", {"reference": text}, **officer),
    ]
    assert [r.status_code for r in refusals] == [422] * len(refusals), [r.text for r in refusals]


@pytest.mark.parametrize("raw", [b"\xed\xa0\x80", b"caf\xe9"], ids=["encoded surrogate", "latin-1"])
def test_a_body_that_is_not_utf_8_is_refused(client: TestClient, raw: bytes) -> None:
    officer = bearer(client.engine, "referrer")  # type: ignore[attr-defined]
    body = b'{"reference": "' + raw + b'"}'
    answer = client.post(
        "/referrers/intakes", content=body, headers={"Content-Type": "application/json", **officer}
    )
    assert (answer.status_code, answer.json()["rule"], answer.json()["field"]) == (
        422,
        "encoding",
        "body",
    )


def test_a_nul_in_the_path_the_query_or_a_header_is_refused(client: TestClient) -> None:
    in_path = client.get(f"{BASE}/participants/p%00x")
    in_query = client.get(f"{BASE}/referrals", params={"participant_id": NUL})
    in_audit_query = client.get("/audit", params={"actor": NUL})
    assert (in_path.status_code, in_path.json()["field"]) == (422, "path")
    assert (in_query.status_code, in_query.json()["field"]) == (422, "participant_id")
    assert in_audit_query.status_code == 422
    twice = client.get("/funders/plan?budget=5&budget=7")
    assert (twice.status_code, twice.json()["rule"]) == (422, "repeated_parameter")
    huge = client.get(f"{BASE}/participants", headers={"X-Anything": "x" * 10_000})
    assert (huge.status_code, huge.json()["rule"]) == (400, "header_too_long")


def test_absurd_if_match_and_idempotency_keys_are_refused(client: TestClient) -> None:
    made = new_participant(client)
    fields = {k: made[k] for k in ("location", "attributes", "max_distance_km")}
    url = f"{BASE}/participants/{made['id']}"
    for value in ("9" * 5000, '"' + "9" * 19 + '"', "١٢".encode()):
        answer = client.put(
            url,
            json=fields,
            headers=[(b"If-Match", value if isinstance(value, bytes) else value.encode())],
        )
        assert (answer.status_code, answer.json()["field"].lower()) == (422, "if-match"), value
    capacity = client.put(
        "/providers/org-harbor/programs/belltown-harbor-shelter/capacity",
        json={"open_slots": 1, "waitlist": 0},
        headers={"If-Match": "9" * 5000},
    )
    assert capacity.status_code == 422
    long_key = client.post(
        f"{BASE}/participants", json=participant_body(), headers={"Idempotency-Key": "k" * 201}
    )
    assert (long_key.status_code, long_key.json()["field"].lower()) == (422, "idempotency-key")


def test_over_long_and_duplicate_need_ids_are_refused(client: TestClient) -> None:
    made = new_participant(client)
    url = f"{BASE}/participants/{made['id']}/plan"
    kept = made["needs"][0]
    too_long = client.put(url, json={"needs": [{"id": "n" * 201, "service_types": ["food.meals"]}]})
    assert (too_long.status_code, too_long.json()["rule"]) == (422, "string_too_long")
    twice = client.put(url, json={"needs": [kept, kept]})
    assert (twice.status_code, twice.json()["rule"]) == (422, "duplicate_id")
    long_name = client.post(
        f"{BASE}/participants", json=participant_body(location={**HOME, "neighborhood": "x" * 201})
    )
    assert (long_name.status_code, long_name.json()["field"]) == (422, "location.neighborhood")
    assert client.get(url.removesuffix("/plan")).json()["needs"] == made["needs"]


def test_age_and_a_location_far_from_the_site_are_refused(client: TestClient) -> None:
    young = client.post(f"{BASE}/participants", json=participant_body(attributes={"age": -1}))
    assert (young.status_code, young.json()["field"]) == (422, "attributes.age")
    far = client.post(
        f"{BASE}/participants", json=participant_body(location={"lat": 40.71, "lon": -74.0})
    )
    assert (far.status_code, far.json()["rule"]) == (422, "outside_site_area")
    made = new_participant(client)
    fields = {"location": {"lat": 40.71, "lon": -74.0}, "attributes": made["attributes"]}
    moved = client.put(f"{BASE}/participants/{made['id']}", json=fields)
    assert (moved.status_code, moved.json()["field"]) == (422, "location")


def same_answer(one: Any, one_id: str, other: Any, other_id: str) -> bool:
    """Two answers alike but for the id each request named."""
    return bool(
        one.status_code == other.status_code
        and one.text.replace(one_id, "ID") == other.text.replace(other_id, "ID")
    )


def test_another_case_loads_ids_answer_like_free_ones(client: TestClient) -> None:
    theirs = client.post(f"{OTHER}/participants", json=participant_body()).json()
    mine = new_participant(client)
    # A participant's id is the server's to make, whatever the value.
    taken = client.post(f"{BASE}/participants", json=participant_body(id=theirs["id"]))
    free = client.post(f"{BASE}/participants", json=participant_body(id="p-free-one"))
    assert taken.status_code == free.status_code == 422
    assert taken.json() == free.json()
    # A need id must be one of the participant's own needs: another's answers like a free one.
    url = f"{BASE}/participants/{mine['id']}/plan"
    other_need = client.put(
        url, json={"needs": [{"id": theirs["needs"][0]["id"], "service_types": ["food.meals"]}]}
    )
    free_need = client.put(url, json={"needs": [{"id": "n-free", "service_types": ["food.meals"]}]})
    assert other_need.status_code == free_need.status_code == 422
    assert other_need.json() == free_need.json()
    assert other_need.json()["rule"] == "unknown_need"
    hold = {"participant_id": mine["id"], "program_id": "belltown-harbor-shelter"}
    other_hold = client.post(f"{BASE}/holds", json={**hold, "need_id": theirs["needs"][0]["id"]})
    free_hold = client.post(f"{BASE}/holds", json={**hold, "need_id": "n-free"})
    assert same_answer(other_hold, theirs["needs"][0]["id"], free_hold, "n-free")
    assert other_hold.status_code == 404


def test_a_plan_keeps_own_need_ids_and_makes_new_ones(client: TestClient) -> None:
    made = new_participant(client)
    kept = made["needs"][1]
    plan = client.put(
        f"{BASE}/participants/{made['id']}/plan",
        json={"needs": [kept, {"service_types": ["legal.advocacy"]}]},
    ).json()
    assert plan["needs"][0]["id"] == kept["id"]
    assert plan["needs"][1]["id"] not in {n["id"] for n in made["needs"]}


def count(engine: Engine, table: Any) -> int:
    with session_scope(engine) as s:
        return int(s.exec(select(func.count()).select_from(table)).one())


def test_creating_posts_run_once_per_idempotency_key(client: TestClient) -> None:
    engine: Engine = client.engine  # type: ignore[attr-defined]
    key = {"Idempotency-Key": "same-key-1"}
    first = client.post(f"{BASE}/participants", json=participant_body(), headers=key)
    again = client.post(f"{BASE}/participants", json=participant_body(), headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(
        f"{BASE}/participants", json=participant_body(languages=["es"]), headers=key
    )
    assert (other.status_code, other.json()["rule"]) == (409, "idempotency_key_reused")
    pid, need = first.json()["id"], first.json()["needs"][0]["id"]

    client.put(
        "/providers/org-harbor/programs/belltown-harbor-shelter/capacity",
        json={"open_slots": 5, "waitlist": 0},
    )
    hold = {"participant_id": pid, "need_id": need, "program_id": "belltown-harbor-shelter"}
    holds = [client.post(f"{BASE}/holds", json=hold, headers=key) for _ in range(2)]
    assert [h.status_code for h in holds] == [201, 201]
    assert holds[0].json() == holds[1].json()
    consent = {"recipient_type": "organization", "recipient_id": "org-harbor", "categories": ["*"]}
    url = f"{BASE}/participants/{pid}/consents"
    consents = [client.post(url, json=consent, headers=key) for _ in range(2)]
    assert consents[0].json() == consents[1].json()
    assert len(client.get(url).json()) == 1
    officer = bearer(engine, "referrer")
    intakes = [
        client.post("/referrers/intakes", json={"reference": "D-5"}, headers={**officer, **key})
        for _ in range(2)
    ]
    assert intakes[0].json() == intakes[1].json()
    assert count(engine, t.Intake) == 1
    with session_scope(engine) as s:
        assert len(s.exec(select(t.Referral).where(t.Referral.participant_id == pid)).all()) == 1


def test_the_same_reference_twice_is_the_same_intake(client: TestClient) -> None:
    engine: Engine = client.engine  # type: ignore[attr-defined]
    officer = bearer(engine, "referrer", None)
    first = client.post(
        "/referrers/intakes", json={"reference": "D-9", "note": "a"}, headers=officer
    )
    again = client.post(
        "/referrers/intakes", json={"reference": "D-9", "note": "b"}, headers=officer
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["intake_id"] == again.json()["intake_id"]
    assert (first.json()["new"], again.json()["new"]) == (True, False)
    other = client.post("/referrers/intakes", json={"reference": "D-10"}, headers=officer)
    assert other.json()["intake_id"] != first.json()["intake_id"]
    assert len(client.get(f"/case-managers/{CM}/intakes").json()) == 2


def test_concurrent_intakes_with_one_reference_make_one(client: TestClient) -> None:
    engine: Engine = client.engine  # type: ignore[attr-defined]
    officer = bearer(engine, "referrer", None)
    for round_ in range(5):
        start = Barrier(6)

        def send(_: int, reference: str = f"R-{round_}", start: Barrier = start) -> tuple[int, str]:
            start.wait()
            answer = client.post(
                "/referrers/intakes", json={"reference": reference}, headers=officer
            )
            return answer.status_code, answer.json()["intake_id"]

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(send, range(6)))
        assert sorted(code for code, _ in answers) == [200] * 5 + [201]
        assert len({intake_id for _, intake_id in answers}) == 1
    assert count(engine, t.Intake) == 5
