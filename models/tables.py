"""Every SQLModel table: organisation, raw facts, outcomes, pre-aggregates and operations.

Conventions: timestamps are tz-aware UTC; `*_interval` columns hold the UTC epoch second at which the
15-minute interval starts (15 min divides every real UTC offset, so these are also local 15-minute
boundaries; 30/60-minute views roll them up in the centre's zone). Facts carry `batch_id` (the
JobRun that last wrote them) so the aggregate refresh knows what is new. Aggregates store sums and
counts, never ratios (METRICS.md: any roll-up is then exact).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

BASE_INTERVAL_S = 900


def _ts(nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


# --- Organisation ---------------------------------------------------------------------------------


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    timezone: str


class AppUser(SQLModel, table=True):
    """A person who signs in: admin, director, supervisor, coach or agent."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)
    name: str
    role: str  # admin | director | supervisor | coach | agent
    password_hash: str | None = None
    locale: str = "es"
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    site_id: int = Field(foreign_key="site.id")
    supervisor_id: int | None = Field(default=None, foreign_key="appuser.id")


class UserTeam(SQLModel, table=True):
    """Teams a supervisor (or any scoped user) may see."""

    user_id: int = Field(foreign_key="appuser.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)


class UserAgent(SQLModel, table=True):
    """Agents a coach is assigned to (or, for role "agent", the user's own agent record)."""

    user_id: int = Field(foreign_key="appuser.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)  # the platform's id: Asterisk member, Connect username, sim code
    name: str
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    is_remote: bool = False
    timezone: str = "Europe/Madrid"
    hire_date: date | None = None
    supervisor_id: int | None = Field(default=None, foreign_key="appuser.id")
    coach_id: int | None = Field(default=None, foreign_key="appuser.id", index=True)
    active: bool = True


class Touchpoint(SQLModel, table=True):
    """A step of the customer journey (order, delivery, billing, ...) with an accountable owner."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    name: str
    owner: str | None = None
    owner_user_id: int | None = Field(default=None, foreign_key="appuser.id")


class Queue(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    channel: str = "voice"  # voice | chat | email | whatsapp
    touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id")
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    sl_threshold_s: float | None = None  # None: the channel default from settings
    sl_target: float | None = None
    sl_formula: str | None = None


# --- Raw facts ------------------------------------------------------------------------------------


# The two fact tables the loaders fill by the million (Contact, AgentStateSegment) declare no foreign
# keys on their dimension ids: those ids only ever come from the dimension rows themselves (the
# loaders create or look them up in the same transaction: models.ingest.Dimensions, the simulator),
# and no code deletes a queue, agent, touchpoint or contact. A per-row key check cost more than the
# insert itself on PostgreSQL (measured on a 2M-line queue_log into the `large` demo: 31k lines/s
# with the checks, 57-72k without; SQLite ~10%). tests/integration/test_fact_integrity.py holds the
# guarantee, for these and for the pre-aggregates below.


class Contact(SQLModel, table=True):
    """One entry of a customer into one queue, with its outcome and handling."""

    __table_args__ = (
        UniqueConstraint("source", "source_key"),
        Index("ix_contact_queue_interval", "queue_id", "offered_interval"),
        Index("ix_contact_agent_completed", "agent_id", "completed_interval"),
        Index("ix_contact_customer", "customer_key", "offered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str  # sim | asterisk | connect | csv
    source_key: str
    batch_id: int = Field(index=True)
    queue_id: int  # Queue.id (no declared foreign key: see above)
    channel: str
    touchpoint_id: int | None = None  # Touchpoint.id
    agent_id: int | None = None  # Agent.id
    customer_key: str | None = None
    offered_at: datetime = Field(sa_column=_ts())
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))  # talk ended
    completed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))  # ACW ended
    offered_interval: int = Field(sa_type=BigInteger, index=True)
    completed_interval: int | None = Field(default=None, sa_type=BigInteger, index=True)
    wait_s: float | None = None
    talk_s: float | None = None
    hold_s: float | None = None  # None: the source does not report hold (queue_log), never 0
    acw_s: float | None = None
    hold_count: int | None = None
    # waiting | answered | abandoned | unknown
    outcome: str = Field(default="waiting", index=True)
    # caller_abandon | timeout | exit_key | exit_empty | full | withdraw | transfer_out | sys_compat
    exit_reason: str | None = None
    transferred: bool = False
    reconstructed: bool = False
    survey_offered: bool = False
    ring_no_answer: int = 0
    # The source's own version stamp (Amazon Connect LastUpdateTimestamp): records arrive at least
    # once and out of order, and a delivery older than the stored one must not overwrite it.
    source_updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class AgentStateSegment(SQLModel, table=True):
    """A stretch of one agent's state; end_at None means it is the agent's current state."""

    # The unique (agent_id, start_at) constraint is also the index the live view and refresh use.
    __table_args__ = (UniqueConstraint("agent_id", "start_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    batch_id: int = Field(index=True)
    agent_id: int  # Agent.id (no declared foreign key: see above Contact)
    # available | on_contact | acw | aux | offline
    state: str
    reason: str | None = None  # aux: break | lunch | meeting | coaching | training | technical | other
    start_at: datetime = Field(sa_column=_ts(index=True))
    end_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ScheduleSegment(SQLModel, table=True):
    """A planned activity (work, break, lunch, meeting, coaching, training, absence)."""

    __table_args__ = (UniqueConstraint("agent_id", "start_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    batch_id: int = Field(index=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    activity: str  # work | break | lunch | meeting | coaching | training | absence
    start_at: datetime = Field(sa_column=_ts(index=True))
    end_at: datetime = Field(sa_column=_ts())
    paid: bool = True


class SurveyResponse(SQLModel, table=True):
    """One survey answer, credited to the contact it rates (its agent, queue, interval)."""

    __table_args__ = (UniqueConstraint("source", "source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    source_key: str
    batch_id: int = Field(index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    customer_key: str | None = None
    answered_at: datetime = Field(sa_column=_ts(index=True))
    csat: int | None = None  # 1..5
    ces: int | None = None  # 1..7, CES 2.0 (7 = very easy); 1-5 effort sources converted on import
    nps: int | None = None  # 0..10
    resolved: bool | None = None
    verbatim: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    language: str | None = None


# --- Pre-aggregates (read by pages) --------------------------------------------------------------
# Written only by the refresh, from the facts, and rebuilt whole by `refresh --full`: like the fact
# tables (see above Contact) they declare no foreign keys, whose per-row checks were most of their
# write time on PostgreSQL (COPY of ~2k agent intervals: 41 ms with them, 10-15 ms without).


class QueueInterval(SQLModel, table=True):
    """Counts and sums per queue x 15-minute interval (contacts booked where they were offered;
    handle time booked where after-contact work completed)."""

    __table_args__ = (Index("ix_queueinterval_date", "local_date"),)

    queue_id: int = Field(primary_key=True)  # Queue.id
    interval_start: int = Field(sa_type=BigInteger, primary_key=True)
    local_date: date
    offered: int = 0
    short_abandoned: int = 0
    answered: int = 0
    answered_within_t: int = 0
    abandoned: int = 0  # excludes short abandons
    abandoned_within_t: int = 0  # excludes short abandons
    unknown: int = 0
    waiting: int = 0
    answered_wait_sum: float = 0.0
    abandoned_wait_sum: float = 0.0
    max_wait: float | None = None
    exit_caller_abandon: int = 0
    exit_timeout: int = 0
    exit_key: int = 0
    exit_empty: int = 0
    exit_other: int = 0
    transferred: int = 0
    held: int = 0
    hold_known: int = 0  # answered contacts whose source reports hold at all
    handled: int = 0
    handle_time_sum: float = 0.0
    known_customer: int = 0
    repeats: int = 0
    fcr_resolved: int = 0
    channel_switches: int = 0
    surveys_offered: int = 0
    surveys_answered: int = 0
    csat_n: int = 0
    csat_top2: int = 0
    ces_n: int = 0
    ces_sum: float = 0.0
    ces_easy: int = 0
    ces_difficult: int = 0
    nps_n: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0


class AgentInterval(SQLModel, table=True):
    """Seconds per agent x 15-minute interval, states split across interval boundaries."""

    __table_args__ = (Index("ix_agentinterval_date", "local_date"),)

    agent_id: int = Field(primary_key=True)  # Agent.id
    interval_start: int = Field(sa_type=BigInteger, primary_key=True)
    local_date: date
    staffed_s: float = 0.0
    available_s: float = 0.0
    handle_s: float = 0.0
    aux_s: float = 0.0
    scheduled_work_s: float = 0.0
    scheduled_s: float = 0.0  # every scheduled activity except "off"
    paid_scheduled_s: float = 0.0
    adherent_s: float = 0.0
    shrinkage_s: float = 0.0


class AgentDay(SQLModel, table=True):
    """One agent's local day: activity seconds plus the outcomes of the contacts they handled."""

    __table_args__ = (Index("ix_agentday_date", "local_date"),)

    agent_id: int = Field(primary_key=True)  # Agent.id
    local_date: date = Field(primary_key=True)
    staffed_s: float = 0.0
    available_s: float = 0.0
    handle_s: float = 0.0
    aux_s: float = 0.0
    aux_break_s: float = 0.0
    aux_lunch_s: float = 0.0
    aux_meeting_s: float = 0.0
    aux_coaching_s: float = 0.0
    aux_training_s: float = 0.0
    aux_technical_s: float = 0.0
    aux_other_s: float = 0.0
    scheduled_work_s: float = 0.0
    scheduled_s: float = 0.0
    paid_scheduled_s: float = 0.0
    adherent_s: float = 0.0
    shrinkage_s: float = 0.0
    out_of_adherence_events: int = 0
    answered: int = 0
    answered_within_t: int = 0
    answered_wait_sum: float = 0.0
    handled: int = 0
    handle_time_sum: float = 0.0
    transferred: int = 0
    held: int = 0
    hold_known: int = 0
    known_customer: int = 0
    repeats: int = 0
    fcr_resolved: int = 0
    channel_switches: int = 0
    surveys_offered: int = 0
    surveys_answered: int = 0
    csat_n: int = 0
    csat_top2: int = 0
    ces_n: int = 0
    ces_sum: float = 0.0
    ces_easy: int = 0
    ces_difficult: int = 0
    nps_n: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0


class EffortAnswer(SQLModel, table=True):
    """One CES answer with the facts of the contact it rates and that contact's repeat and channel-
    switch flags, kept by the refresh (which works the flags out anyway): the effort-drivers view
    reads a date range of these instead of re-deriving repeats from raw history on every load."""

    __table_args__ = (Index("ix_effortanswer_interval", "offered_interval"),)

    survey_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # SurveyResponse.id
    contact_id: int = Field(index=True)  # Contact.id
    queue_id: int  # Queue.id
    offered_interval: int = Field(sa_type=BigInteger)
    offered_ms: int = Field(sa_type=BigInteger)
    channel: str
    touchpoint_id: int | None = None
    agent_id: int | None = None
    outcome: str
    ces: int
    resolved: bool | None = None
    wait_s: float | None = None
    hold_s: float | None = None
    hold_count: int | None = None
    transferred: bool = False
    repeat_contact: bool | None = None  # None: anonymous customer, the flag cannot be known
    channel_switch: bool | None = None


class JourneyStep(SQLModel, table=True):
    """A customer's contact and the one before it within the repeat window (any touchpoint or
    channel), kept by the refresh: the journey Sankey counts these by date range instead of running
    a window function over every contact on each load."""

    __table_args__ = (Index("ix_journeystep_interval", "offered_interval"),)

    contact_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # Contact.id
    offered_interval: int = Field(sa_type=BigInteger)
    queue_id: int  # Queue.id
    touchpoint_id: int | None = None
    channel: str
    from_interval: int = Field(sa_type=BigInteger)
    from_queue: int  # Queue.id
    from_touchpoint: int | None = None
    from_channel: str


# --- Operations -----------------------------------------------------------------------------------


class JobRun(SQLModel, table=True):
    """One run of a job (refresh, simulator, ingest): the data-health page's source of truth."""

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(index=True)
    status: str = "running"  # running | ok | failed
    started_at: datetime = Field(sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    newest_event_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    runner: str | None = None  # "host:pid" of the process running it: a dead one is seen at once


class RefreshState(SQLModel, table=True):
    """How far the aggregate refresh has read (the highest batch id it has folded in)."""

    name: str = Field(primary_key=True)
    last_batch_id: int = 0
    updated_at: datetime = Field(sa_column=_ts())


class SchedulerLease(SQLModel, table=True):
    """Only the scheduler holding an unexpired lease runs jobs (one per database)."""

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_column=_ts())
    renewed_at: datetime = Field(sa_column=_ts())


class Quarantine(SQLModel, table=True):
    """An input row that could not be loaded, kept with where it came from and why."""

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    location: str  # file path or stream name
    line_no: int | None = None
    reason: str
    raw: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    batch_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_column=_ts())


class SourceCheckpoint(SQLModel, table=True):
    """Where an incremental reader stopped in a source (file identity + offset, or last record)."""

    source: str = Field(primary_key=True)
    location: str = Field(primary_key=True)
    file_id: str | None = None  # device:inode of the file read
    offset: int = Field(default=0, sa_type=BigInteger)
    last_key: str | None = None
    updated_at: datetime = Field(sa_column=_ts())


# --- People's own entries: coaching, lexicon, audit -----------------------------------------------


class CoachingSession(SQLModel, table=True):
    """A coaching conversation with one agent, on one focus KPI; edits keep who and when."""

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    coach_user_id: int | None = Field(default=None, foreign_key="appuser.id")
    session_date: date = Field(index=True)
    focus_kpi: str
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_ts())
    created_by: str
    updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    updated_by: str | None = None


class CoachingCommitment(SQLModel, table=True):
    """Something someone agreed to do by a date; overdue when not done by then."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="coachingsession.id", index=True)
    text: str
    owner: str  # who committed: the agent, the coach or the supervisor (a name)
    due_date: date = Field(index=True)
    done_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    done_by: str | None = None
    created_at: datetime = Field(sa_column=_ts())
    created_by: str
    updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    updated_by: str | None = None


class ThemeKeyword(SQLModel, table=True):
    """The editable lexicon that turns comments into themes (pains and gains), per language."""

    __table_args__ = (UniqueConstraint("theme", "language", "keyword"),)

    id: int | None = Field(default=None, primary_key=True)
    theme: str
    kind: str  # pain | gain
    language: str  # es | en
    keyword: str


class AuditEvent(SQLModel, table=True):
    """Who did what, when: sign-ins (and failures), exports, coaching and owner edits, user changes."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_ts(index=True))
    actor: str  # e-mail of the user (or the attempted one for failed sign-ins)
    action: str = Field(index=True)
    target: str | None = None
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
