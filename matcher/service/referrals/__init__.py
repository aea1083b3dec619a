"""Holds and referrals: one lifecycle (``matcher.capacity.referral``), one way to
change it (``core.change``), split by job: what case managers and providers do
(``commands``), what providers see (``provider``), and what ends on its own
(``expiry``)."""

from matcher.capacity.referral import DECLINE_REASONS, END_REASONS
from matcher.service.referrals.commands import (
    RESPONSE_WINDOW,
    case_manager_referrals,
    clear_decline,
    confirm,
    confirm_with_consent,
    decline,
    end_placement,
    enrol,
    history,
    place_hold,
    release,
    withdraw,
)
from matcher.service.referrals.core import HistoryEntry, ReferralView
from matcher.service.referrals.expiry import expire_due, withdraw_unconsented
from matcher.service.referrals.provider import incoming

__all__ = [
    "DECLINE_REASONS",
    "END_REASONS",
    "RESPONSE_WINDOW",
    "HistoryEntry",
    "ReferralView",
    "case_manager_referrals",
    "clear_decline",
    "confirm",
    "confirm_with_consent",
    "decline",
    "end_placement",
    "enrol",
    "expire_due",
    "history",
    "incoming",
    "place_hold",
    "release",
    "withdraw",
    "withdraw_unconsented",
]
