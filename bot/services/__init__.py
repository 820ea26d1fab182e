"""Telegram-free business logic. ``Services`` is built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.services.broadcast import BroadcastService, Pacer
from bot.services.checkins import CheckinService
from bot.services.duties import DutyService
from bot.services.events import EventService
from bot.services.lease import LeaseService
from bot.services.pending import PendingService
from bot.services.plans import PlanService
from bot.services.reports import ReportService
from bot.services.roster import RosterService
from bot.services.updates import UpdateLog


@dataclass
class Services:
    engine: Engine
    settings: Settings
    clock: Clock
    plans: PlanService
    duties: DutyService
    roster: RosterService
    checkins: CheckinService
    updates: UpdateLog
    reports: ReportService
    lease: LeaseService
    pacer: Pacer  # one pace for every bulk send of this process (see handlers/push.py)
    events: EventService
    broadcasts: BroadcastService
    pending: PendingService  # previews awaiting 确认: uploads, /unbind, /unit_del

    @classmethod
    def build(cls, *, engine: Engine, settings: Settings, clock: Clock) -> Services:
        plans = PlanService(engine, clock)
        duties = DutyService(engine, clock)
        checkins = CheckinService(engine, clock, plans=plans, duties=duties, tz=settings.tz,
                                  period_kind=settings.checkin_period,
                                  draft_timeout=timedelta(minutes=settings.checkin_timeout_minutes),
                                  deadline_day=settings.checkin_deadline_day)
        return cls(
            engine=engine,
            settings=settings,
            clock=clock,
            plans=plans,
            duties=duties,
            roster=RosterService(engine, clock, timedelta(days=settings.invite_ttl_days)),
            checkins=checkins,
            updates=UpdateLog(engine, clock),
            reports=ReportService(engine, checkins),
            lease=LeaseService(engine, Clock()),  # real time: the lease is about live processes
            pacer=Pacer(settings.broadcast_rate),
            events=EventService.from_settings(engine, clock, settings, duty_status=checkins.duty_status),
            broadcasts=BroadcastService(engine, clock),
            pending=PendingService(engine, clock),
        )
