"""Everyone's own inbox: notifications (kind, a pseudonym at most, a link), marking
them read, and how each kind should reach the account outside the inbox."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from api.auth import Me
from api.deps import Ctx, Paged, RowNumber
from api.problems import RESPONSES
from matcher.service import notifications
from matcher.service.notifications import Kind, Mode

router = APIRouter(prefix="/me", tags=["everyone"], responses=RESPONSES)


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: Kind
    pseudonym: str | None
    link: str
    created_at: datetime
    read_at: datetime | None


class InboxOut(BaseModel):
    unread: int
    items: list[NotificationOut]


class PreferencesIO(BaseModel):
    """The account's mode per kind: ``immediately``, ``daily`` (a digest) or ``off``."""

    model_config = ConfigDict(extra="forbid")

    modes: dict[Kind, Mode]


@router.get("/notifications", response_model=InboxOut)
def inbox(ctx: Ctx, me: Me, page: Paged) -> InboxOut:
    """The account's notifications, newest first, and how many are unread."""
    found = ctx.read(lambda s: notifications.inbox(s, me.account_id, page.limit, page.offset))
    return InboxOut(
        unread=found.unread, items=[NotificationOut.model_validate(n) for n in found.items]
    )


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(notification_id: RowNumber, ctx: Ctx, me: Me) -> None:
    """Mark one of the account's notifications read (404 for anyone else's)."""
    ctx.run(lambda s: notifications.mark_read(s, me.account_id, notification_id, ctx.now))


@router.get("/notification-preferences", response_model=PreferencesIO)
def preferences(ctx: Ctx, me: Me) -> PreferencesIO:
    """How each kind reaches the account by e-mail (the inbox always has it)."""
    return PreferencesIO(modes=ctx.read(lambda s: notifications.preferences(s, me.account_id)))


@router.put("/notification-preferences", response_model=PreferencesIO)
def set_preferences(body: PreferencesIO, ctx: Ctx, me: Me) -> PreferencesIO:
    """Choose the mode of the kinds named (the others keep theirs)."""

    def act(s: Session) -> dict[Kind, Mode]:
        for kind, mode in sorted(body.modes.items()):
            notifications.set_preference(s, me.account_id, kind, mode)
        return notifications.preferences(s, me.account_id)

    return PreferencesIO(modes=ctx.run(act))
