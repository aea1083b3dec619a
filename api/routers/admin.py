"""Admins: accounts and programs. No participant data is reachable from here."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Me, administrator
from api.deps import Ctx, Paged
from api.problems import RESPONSES
from matcher.scenario import Program
from matcher.service import accounts, potentials, programs, teams

router = APIRouter(
    responses=RESPONSES, prefix="/admin", tags=["admins"], dependencies=[Depends(administrator)]
)

Role = Literal["admin", "case_manager", "provider", "funder", "referrer", "auditor"]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    subject_id: Annotated[str | None, Field(max_length=200)] = None
    password: Annotated[str, Field(min_length=12, max_length=200)]


class AccountOut(BaseModel):
    username: str
    role: str
    subject_id: str | None
    active: bool


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(ctx: Ctx, page: Paged) -> list[AccountOut]:
    """Every account (never a password hash)."""
    rows = ctx.read(accounts.listing)
    return [
        AccountOut(username=a.username, role=a.role, subject_id=a.subject_id, active=a.active)
        for a in page.of(rows)
    ]


@router.post("/accounts", response_model=AccountOut, status_code=status.HTTP_201_CREATED)
def create_account(body: AccountIn, ctx: Ctx) -> AccountOut:
    """A new account with a password (at least 12 characters). A case manager account
    cannot be made onto a case load that has an active one (409 ``case_load_taken``):
    move the case load instead."""
    who = ctx.run(
        lambda s: accounts.create_account(
            s,
            username=body.username,
            role=body.role,
            password=body.password,
            subject_id=body.subject_id,
            now=ctx.now,
        )
    )
    return AccountOut(username=who.username, role=who.role, subject_id=who.subject_id, active=True)


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=200)
    ] = Field(description="case manager ids; an empty list dissolves the team")


class TeamOut(BaseModel):
    team_id: str
    members: list[str]


@router.get("/teams", response_model=list[TeamOut])
def list_teams(ctx: Ctx, page: Paged) -> list[TeamOut]:
    """Every team of case managers, with its members."""
    found = ctx.read(teams.listing)
    return [TeamOut(team_id=k, members=v) for k, v in page.of(sorted(found.items()))]


@router.put("/teams/{team_id}", response_model=TeamOut)
def set_team(team_id: Annotated[str, Path(max_length=200)], body: TeamIn, ctx: Ctx) -> TeamOut:
    """Set who is in a team: its members may work on each other's case loads."""
    members = ctx.run(lambda s: teams.set_members(s, team_id, body.members))
    return TeamOut(team_id=team_id, members=members)


@router.post("/accounts/{username}/deactivate", status_code=status.HTTP_204_NO_CONTENT)
def deactivate(username: str, ctx: Ctx, request: Request) -> None:
    """Stop an account: its sign-in, tokens and keys stop working at once. The last
    active admin cannot be stopped (409 ``last_admin``)."""
    ctx.run(lambda s: accounts.deactivate(s, username))
    request.app.state.credentials.clear()


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_username: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="the case manager account that takes the case load"
    )
    reason: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="why it moves (kept with the audit record)"
    )


@router.post("/case-loads/{case_manager_id}/move", response_model=accounts.Move)
def move_case_load(
    case_manager_id: Annotated[str, Path(min_length=1, max_length=200)],
    body: MoveIn,
    ctx: Ctx,
    me: Me,
    request: Request,
) -> accounts.Move:
    """Move a case load to another case manager's account, with a reason: the account
    that had it is deactivated (an account works on one case load; a case load has one
    active case manager, so an admin cannot make a second one to read it)."""
    moved = ctx.run(
        lambda s: accounts.move_case_load(
            s,
            case_manager_id,
            to_username=body.to_username,
            reason=body.reason,
            by=me.username,
            now=ctx.now,
        )
    )
    request.app.state.credentials.clear()
    return moved


@router.get("/case-loads/{case_manager_id}/moves", response_model=list[accounts.Move])
def case_load_moves(
    case_manager_id: Annotated[str, Path(min_length=1, max_length=200)], ctx: Ctx
) -> list[accounts.Move]:
    """A case load's moves, oldest first: from whom, to whom, by whom and why."""
    return ctx.read(lambda s: accounts.moves(s, case_manager_id))


@router.post("/programs", status_code=status.HTTP_201_CREATED)
def create_program(body: Program, ctx: Ctx, me: Me) -> dict[str, str]:
    """Add a program in the scenario contract's terms; only ``purchasable`` and ``price``
    of its capacity are taken (open places are the provider's to report)."""
    ctx.run(lambda s: programs.create(s, body, me.username, ctx.now))
    return {"program_id": body.id}


@router.put("/programs/{program_id}")
def update_program(program_id: str, body: Program, ctx: Ctx, me: Me) -> dict[str, str]:
    """Replace a program's facts (not its open places)."""
    if body.id != program_id:
        from matcher.service.errors import Invalid

        raise Invalid("mismatch", "the body's id must be the path's program id", field="id")
    ctx.run(lambda s: programs.update(s, body, me.username, ctx.now))
    return {"program_id": program_id}


class NodeOut(BaseModel):
    program_id: str
    pool: str
    acute_per_day: float
    places_per_day: float
    chance: float


class PotentialsOut(BaseModel):
    policy: str
    source: str
    reason: str
    window_start: str
    window_end: str
    acute_needs: int
    place_life_days: float
    stay_days: float
    nodes: list[NodeOut]


@router.get("/potentials", response_model=PotentialsOut)
def queue_potentials(ctx: Ctx) -> PotentialsOut:
    """The potentials LEAD's queue uses at level 4 now (``MATCHER_OFFER_POLICY``): where
    they came from (``history``; ``none`` when the window holds too few acute needs;
    ``off`` under ``resolve``) and, per program and pool, the acute needs and places per
    day the window saw and the chance an acute need wants a place there. Counts only."""
    found = ctx.read(lambda s: potentials.current(s, ctx.now))
    return PotentialsOut(
        policy=found.policy,
        source=found.source,
        reason=found.reason,
        window_start=found.window_start.isoformat(),
        window_end=found.window_end.isoformat(),
        acute_needs=found.acute_needs,
        place_life_days=round(found.place_life_days, 3),
        stay_days=round(found.stay_days, 3),
        nodes=[NodeOut(**vars(n)) for n in found.nodes],
    )
