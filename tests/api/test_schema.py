"""Schemathesis against the OpenAPI schema, signed in as each role, on SQLite and
PostgreSQL: no server errors, no response outside the schema, data the schema
accepts is accepted and data it refuses is refused.

The store holds the sample city and, for one participant, a consent, a referral sent
to a program and an intake taken up, and generated requests that are valid for the
schema name those objects in their path (``SEEDED``), so they reach the handlers
instead of stopping at 404. Examples are few, derandomised and seeded: the run stays
within a few minutes on both backends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlalchemy import Engine
from sqlmodel import select

from api.app import create_app
from matcher.service import consent, intake, referrals
from matcher.store import tables as t
from matcher.store.engine import session_scope
from tests.api.conftest import CM, SETTINGS, START, Clock, bearer, token_for

schema = schemathesis.pytest.from_fixture("api_schema")
AS = {
    "/providers": ("provider", "org-harbor"),
    "/case-managers": ("case_manager", CM),
    "/funders": ("funder", None),
    "/referrers": ("referrer", None),
    "/audit": ("auditor", None),
    "/admin": ("admin", None),
    "/hsds": ("case_manager", CM),
}
PARTICIPANT, NEED, PROGRAM = "p-7d40", "p-7d40-1", "belltown-harbor-shelter"
SEEDED = {
    "case_manager_id": CM,
    "organization_id": "org-harbor",
    "participant_id": PARTICIPANT,
    "program_id": PROGRAM,
    "team_id": "t-outreach",
    "username": "case_manager:cm-ana",
}

# Refusals of content the schema cannot express (where the site's area ends, which
# needs a participant has, the state an object is in): 422 naming one of these rules
# is a correct answer to schema-valid data.
BUSINESS_RULES = {
    "outside_site_area",  # a location outside the site's area
    "unknown_need",  # a need id that is not one of the participant's needs
    "change",  # a what-if naming no program, or a barrier the program does not set
    "distinct",  # a table's rows and columns by the same thing
    "subject",  # an account whose role has no subject, or lacks one
    "age_bounds",  # a program's minimum age above its maximum
    "mismatch",  # a program's id in the body other than the one in the path
    "held_above_open",  # a program's held places above its open ones
    "role",  # a case load moved to an account that is no case manager
    "note_only_for_other",  # words with a decline or an end whose reason is not "other"
    # The scenario contract (programs, as ``matcher solve`` reads them) is stricter than
    # JSON Schema's ``integer``: a count written 3.0 is refused.
    "int_type",
}


def seed(engine: Engine) -> dict[str, str]:
    """A referral sent to the program under a consent, and an intake taken up."""
    token_for(engine, "case_manager", CM)
    token_for(engine, "referrer")
    ttl = timedelta(hours=48)
    with session_scope(engine) as s:
        granted = consent.grant(
            s,
            CM,
            PARTICIPANT,
            recipient_type="organization",
            recipient_id="org-harbor",
            categories=["*"],
            starts_at=START,
            ends_at=None,
            now=START,
        )
        held = referrals.place_hold(
            s,
            CM,
            participant_id=PARTICIPANT,
            need_id=NEED,
            program_id=PROGRAM,
            pool="general",
            now=START,
            ttl=ttl,
        )
        referrals.confirm(s, CM, held.referral_id, START, ttl)
        referrer = s.exec(select(t.Account).where(t.Account.role == "referrer")).one()
        made = intake.submit(s, referrer.id, "D-1", "met downtown", START)
        intake.take(s, CM, made.intake_id, START)
    return {
        "referral_id": held.referral_id,
        "consent_id": granted.consent_id,
        "intake_id": made.intake_id,
        "id": PROGRAM,
    }


@pytest.fixture
def api_schema(app_engine: Engine, clock: Clock) -> schemathesis.BaseSchema:
    app = create_app(
        SETTINGS.model_copy(update={"match_per_minute": 10_000, "solver_time_limit": 5}),
        engine=app_engine,
        clock=clock,
    )
    app.state.seeded = {**SEEDED, **seed(app_engine)}
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def acceptance_but_business_rules(ctx: Any, response: Any, case: schemathesis.Case[Any]) -> Any:
    """``positive_data_acceptance``, but a 422 naming a rule of ``BUSINESS_RULES``."""
    if response.status_code == 422:
        rule = (response.json() or {}).get("rule")
        if rule in BUSINESS_RULES:
            return None
    return positive_data_acceptance(ctx, response, case)


def point_at_seeded_objects(case: schemathesis.Case[Any], seeded: dict[str, str]) -> None:
    """Valid path parameters name objects that exist (invalid ones stay as generated)."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    for name in list(case.path_parameters or {}):
        if name in seeded:
            case.path_parameters[name] = seeded[name]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms(case: schemathesis.Case[Any], app_engine: Engine) -> None:
    role = next((who for prefix, who in AS.items() if case.path.startswith(prefix)), None)
    headers = bearer(app_engine, *role) if role else {}
    seeded = case.operation.schema.app.state.seeded
    point_at_seeded_objects(case, seeded)
    case.call_and_validate(
        headers=headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[acceptance_but_business_rules, negative_data_rejection],
    )
