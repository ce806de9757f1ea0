"""What the handlers need from the outside world, as protocols.

Storage implements the repositories and the unit of work with SQLModel; `bot/` supplies the
clock and the learned models. Tests satisfy the same protocols with small hand-written fakes.
Repositories never commit: the handler that opened the unit of work commits once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from core.action_outcomes import ActionRecord
from core.drafts import Draft, DraftDecision, OutgoingEmail
from core.facts import DealFacts, LeadFacts, OpenDeals
from core.history import DealExample, LeadExample
from core.model import (
    Account,
    Action,
    ActionStatus,
    Activity,
    Contact,
    Deal,
    Lead,
    Rep,
    Signal,
    StageChange,
    Team,
)
from core.norms import StageNorms
from core.ranking import DealOutlook, LeadOutlook, OutlookColumns
from core.routing_rules import RepLoad


class Clock(Protocol):
    def now(self) -> datetime: ...


class RepRepository(Protocol):
    def add(self, rep: Rep) -> Rep: ...
    def get(self, rep_id: int) -> Rep | None: ...
    def by_email(self, email: str) -> Rep | None: ...
    def by_chat_id(self, platform: str, user_id: str) -> Rep | None:
        """The rep behind a Slack (`slack`) or Teams (`teams`) user id, once linked."""
        ...

    def list(self, *, active_only: bool = True) -> list[Rep]: ...
    def update(self, rep: Rep) -> Rep: ...


class TeamRepository(Protocol):
    def add(self, team: Team) -> Team: ...
    def get(self, team_id: int) -> Team | None: ...
    def list(self) -> list[Team]: ...
    def update(self, team: Team) -> Team: ...


class AccountRepository(Protocol):
    def add(self, account: Account) -> Account: ...
    def get(self, account_id: int) -> Account | None: ...
    def update(self, account: Account) -> Account: ...
    def find(
        self, *, external_id: str | None = None, domain: str | None = None, name: str | None = None
    ) -> Account | None: ...
    def list(self) -> list[Account]: ...


class ContactRepository(Protocol):
    def add(self, contact: Contact) -> Contact: ...
    def get(self, contact_id: int) -> Contact | None: ...
    def update(self, contact: Contact) -> Contact: ...
    def find(
        self, *, external_id: str | None = None, email: str | None = None
    ) -> Contact | None: ...


class DealRepository(Protocol):
    def add(self, deal: Deal) -> Deal: ...
    def get(self, deal_id: int) -> Deal | None: ...
    def update(self, deal: Deal) -> Deal: ...
    def find(self, *, external_id: str | None = None) -> Deal | None: ...
    def list_open(self, *, owner_ids: Sequence[int] | None = None) -> list[Deal]: ...
    def list_closed(self) -> list[Deal]: ...
    def by_ids(self, deal_ids: Iterable[int]) -> list[Deal]:
        """These deals, open or closed (unknown ids are left out)."""
        ...

    def open_facts(self, *, owner_ids: Sequence[int] | None, at: datetime) -> list[DealFacts]:
        """Facts as of `at` for every open deal of these owners (all owners when None)."""
        ...

    def open_deals(self, *, owner_ids: Sequence[int] | None, at: datetime) -> OpenDeals:
        """The same deals as `open_facts`, column by column, for ranking many reps at once."""
        ...

    def add_stage_change(self, change: StageChange) -> None: ...
    def stage_changes(self, deal_ids: Iterable[int] | None = None) -> list[StageChange]: ...


class LeadRepository(Protocol):
    def add(self, lead: Lead) -> Lead: ...
    def get(self, lead_id: int) -> Lead | None: ...
    def update(self, lead: Lead) -> Lead: ...
    def find(self, *, external_id: str | None = None, email: str | None = None) -> Lead | None: ...
    def list_open(self, *, owner_ids: Sequence[int] | None = None) -> list[Lead]: ...
    def list_closed(self) -> list[Lead]: ...
    def open_facts(self, *, owner_ids: Sequence[int] | None, at: datetime) -> list[LeadFacts]: ...
    def stop_clock(self, lead_id: int) -> None:
        """No more levels for this lead (touched, closed, untimed): the sweep stops finding it."""
        ...

    def facts_for(self, lead_ids: Sequence[int], *, at: datetime) -> list[LeadFacts]:
        """Facts as of `at` for these leads only (scoring one new lead must not load them all)."""
        ...

    def find_open(self, *, email: str) -> Lead | None:
        """The newest open lead with this normalised email."""
        ...

    def clocks_due(self, at: datetime, *, limit: int) -> list[Lead]:
        """Leads whose response clock has a level due at `at` (`sla_next_at <= at`), oldest first."""
        ...

    def with_clocks(self, *, since: datetime, until: datetime) -> list[Lead]:
        """Leads whose response clock started in [since, until): the SLA report's rows."""
        ...

    def advance_clock(
        self,
        lead_id: int,
        *,
        started_at: datetime,
        from_fired: int,
        to_fired: int,
        next_at: datetime | None,
    ) -> bool:
        """Move an untouched lead's clock from one fired level to the next, compare-and-set.

        `started_at` is the current owner's clock start (`Lead.clock_started_at`). False when the
        lead was touched, its clock restarted (a reassignment, a hotter tier) or another sweep got
        there first: then the caller sends nothing, so each level fires once even with sweeps
        racing, and none fires for an owner the lead was taken from.
        """
        ...


@dataclass(frozen=True, slots=True)
class Assignment:
    """A lead given to a rep: by routing, a reassignment or an escalation, with the reason."""

    lead_id: int
    rep_id: int
    tier: str
    rule: str
    reason: str
    at: datetime
    actor: str = "routing"


@dataclass(frozen=True, slots=True)
class LoadWindow:
    """Where a rep's day and week began (their local midnight and Monday), in UTC."""

    day_start: datetime
    week_start: datetime


@dataclass(frozen=True, slots=True)
class AssignmentMark:
    """One row of the assignment history as loads count it: who, which tier, when, in what order."""

    id: int
    rep_id: int
    tier: str
    at: datetime


class AssignmentRepository(Protocol):
    """The assignment history: capacity and fairness are counted from it, never kept in counters."""

    def add(self, assignment: Assignment) -> None: ...
    def for_lead(self, lead_id: int) -> list[Assignment]: ...
    def loads(
        self,
        windows: Mapping[int, LoadWindow],
        *,
        recent_since: datetime,
        through_id: int | None = None,
    ) -> dict[int, RepLoad]:
        """Per rep in `windows`: assignments today, this week and since `recent_since`, by tier
        (only rows up to `through_id` when given)."""
        ...

    def latest_id(self) -> int:
        """The id of the newest row of the history (0 when there is none)."""
        ...

    def added_after(self, after_id: int) -> list[AssignmentMark]:
        """Rows with an id above `after_id`, oldest first."""
        ...


class ActivityRepository(Protocol):
    def add(self, activity: Activity) -> Activity: ...
    def find(self, *, external_id: str) -> Activity | None: ...
    def for_deals(self, deal_ids: Iterable[int] | None = None) -> list[Activity]: ...
    def for_leads(self, lead_ids: Iterable[int] | None = None) -> list[Activity]: ...
    def get(self, activity_id: int) -> Activity | None: ...
    def update(self, activity: Activity) -> Activity: ...
    def delete(self, activity_id: int) -> None: ...


class SignalRepository(Protocol):
    def add(self, signal: Signal) -> Signal: ...
    def for_leads(self, lead_ids: Iterable[int] | None = None) -> list[Signal]: ...


class ActionRepository(Protocol):
    def record_shown(self, actions: Sequence[Action]) -> list[Action]:
        """Store the items shown; an item still open from an earlier showing keeps its old id."""
        ...

    def get(self, action_id: uuid.UUID) -> Action | None: ...
    def set_status(
        self,
        action_id: uuid.UUID,
        status: ActionStatus,
        *,
        at: datetime,
        until: datetime | None = None,
        only_from: ActionStatus | None = None,
    ) -> bool:
        """Change one action; with `only_from`, only while it still has that status. True if changed."""
        ...

    def hidden_subjects(self, *, rep_id: int, at: datetime) -> set[tuple[str, int]]:
        """(subject_type, subject_id) of items snoozed or done until after `at`, or dismissed."""
        ...

    def history(
        self,
        *,
        since: datetime,
        until: datetime,
        rep_ids: Sequence[int] | None = None,
        done_since: datetime | None = None,
    ) -> list[ActionRecord]:
        """Actions first shown in [since, until) (of these reps), oldest first: the learning loop.

        With `done_since`, also the actions done in [done_since, until) that were first shown
        earlier (the ROI report: an item listed for weeks counts in the week it was done).
        """
        ...

    def hidden_by_rep(
        self, *, at: datetime, rep_ids: Sequence[int] | None = None
    ) -> dict[int, set[tuple[str, int]]]:
        """The same for many reps at once (all when None), keyed by rep id."""
        ...


@dataclass(frozen=True, slots=True)
class ModelVersionInfo:
    """A stored model version without its blob: for reports and the promotion check."""

    id: int
    kind: str
    trained_at: datetime
    metrics: dict[str, Any]


class ModelVersionRepository(Protocol):
    def add(
        self, *, kind: str, trained_at: datetime, metrics: dict[str, Any], blob: bytes
    ) -> int: ...
    def latest(self, kind: str) -> tuple[int, dict[str, Any], bytes] | None:
        """The live version of a kind: the newest promoted one (core.promotion.is_promoted)."""
        ...

    def history(self, kind: str | None = None) -> list[ModelVersionInfo]:
        """Every stored version of a kind (all kinds when None), newest first, without blobs."""
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str
    action: str
    subject: str
    before: Any
    after: Any
    at: datetime


class AuditLog(Protocol):
    def record(
        self, *, actor: str, action: str, subject: str, before: Any, after: Any, at: datetime
    ) -> None: ...
    def latest(self, subject: str) -> AuditEntry | None:
        """The newest entry about `subject` (e.g. `activity:42`), for undo."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One proactive message waiting to go out (or gone, or dead), as the delivery worker sees it."""

    id: int
    key: str
    platform: str
    target: str
    payload: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    edit_ref: str | None = None
    """Set on an edit (payload `edit_of`): where the original landed (the messenger's `Sent.reference`).

    The messenger then updates that message in place instead of posting a new one.
    """


class Outbox(Protocol):
    """Proactive messages, written in the same transaction as the change that caused them.

    The key (e.g. `digest:{rep}:{local date}`) is unique: a second enqueue with the same key is a
    no-op that returns False, so a retry, a second tick or a second replica cannot send twice.
    """

    def enqueue(
        self,
        *,
        key: str,
        platform: str,
        target: str,
        payload: dict[str, Any],
        at: datetime,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a message (sent from `not_before`, default `at`); False when the key is taken."""
        ...

    def revise(
        self,
        *,
        key: str,
        edit_of: str,
        platform: str,
        target: str,
        payload: dict[str, Any],
        at: datetime,
    ) -> None:
        """Queue an edit of the message sent under `edit_of`; a newer revision replaces an unsent one.

        Edits carry the whole new message, so sending one twice is harmless, and only the newest
        revision matters: an edit still waiting is overwritten, one already sent goes out again.
        """
        ...

    def exists(self, key: str) -> bool: ...
    def existing(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` already in the outbox, in one query (e.g. today's digest keys)."""
        ...

    def revive(self, ids: Sequence[int] | None, *, at: datetime) -> list[int]:
        """Dead rows (these ids, or all when None) back to pending, due `at`, attempts from zero;
        the ids revived, ascending (ids that are not dead are left alone)."""
        ...

    def keys_with_prefix(self, prefix: str) -> set[str]: ...


class IdempotencyKeys(Protocol):
    def claim(self, key: str, *, at: datetime) -> bool:
        """True the first time a key is seen (and records it), False for every repeat."""
        ...

    def set_result(self, key: str, result: str) -> None:
        """Remember what the first delivery produced (e.g. `lead:42`) for the repeats' answer."""
        ...

    def result(self, key: str) -> str | None: ...

    def forget_before(self, before: datetime, *, limit: int) -> int:
        """Forget at most `limit` keys first seen before `before`; how many went."""
        ...


@dataclass(frozen=True, slots=True)
class TeamsConversation:
    """Where the bot can write in Microsoft Teams without being spoken to first.

    Keyed `user:<Entra object id>` for a person's chat with the bot and `channel:<channel id>` for
    a team channel. `reference` is the Bot Framework conversation reference as JSON (service URL,
    bot, user, conversation); a person seen only in a channel has a reference without a
    conversation yet, which the sender creates on first use.
    """

    key: str
    reference: dict[str, Any]
    updated_at: datetime
    tenant_id: str | None = None
    team_name: str | None = None
    channel_name: str | None = None


class TeamsConversations(Protocol):
    def save(self, conversation: TeamsConversation, *, replace: bool = True) -> None:
        """Store under its key; with `replace=False`, only when nothing is stored there yet."""
        ...

    def get(self, key: str) -> TeamsConversation | None: ...
    def forget(self, key: str) -> None:
        """The bot was removed from that chat or team."""
        ...

    def channels(self) -> list[TeamsConversation]:
        """Every team channel the bot was installed in, by team and channel name."""
        ...


class DraftRepository(Protocol):
    """Follow-up drafts; every change of state is a compare-and-set (see `replace`)."""

    def add(self, draft: Draft) -> Draft: ...
    def add_request(self, draft: Draft) -> Draft | None:
        """Store a new request unless the deal already has an undecided draft (then None)."""
        ...

    def undecided_for_deal(self, deal_id: int) -> Draft | None:
        """The deal's draft that is requested, being written or waiting for a decision."""
        ...

    def get(self, draft_id: int) -> Draft | None: ...
    def replace(self, draft: Draft, *, expected: Draft) -> bool:
        """Store `draft` only while the row still has `expected`'s status, generation and claim.

        False when someone got there first (another worker, another press): change nothing then.
        """
        ...

    def claimable(self, *, stale_before: datetime, limit: int) -> list[Draft]:
        """Requested drafts, oldest first, and drafts whose writer claimed them before `stale_before`."""
        ...

    def decisions(
        self, *, since: datetime, until: datetime, rep_ids: Sequence[int] | None = None
    ) -> list[DraftDecision]:
        """Approvals, edits and rejections made in [since, until), for these reps (all when None)."""
        ...


class Drafter(Protocol):
    """Writes a follow-up from the prompt's messages (see core.draft_prompt); text only, no tools."""

    @property
    def model(self) -> str:
        """The model's name, stored with what it wrote."""
        ...

    def write(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The model's answer; raises `core.drafts.ModelUnavailable` when there is none."""
        ...


class EmailSender(Protocol):
    """Sends an approved follow-up; raises `core.drafts.EmailNotSent` (nothing sent) on failure."""

    def send(self, email: OutgoingEmail) -> None: ...


class UnitOfWork(Protocol):
    reps: RepRepository
    teams: TeamRepository
    accounts: AccountRepository
    contacts: ContactRepository
    deals: DealRepository
    leads: LeadRepository
    activities: ActivityRepository
    signals: SignalRepository
    assignments: AssignmentRepository
    actions: ActionRepository
    model_versions: ModelVersionRepository
    audit: AuditLog
    outbox: Outbox
    idempotency: IdempotencyKeys
    teams_conversations: TeamsConversations
    drafts: DraftRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class Forecaster(Protocol):
    """Win probability, expected days and conversion odds for the ranking, from the current models."""

    def deal_outlooks(self, facts: Sequence[DealFacts]) -> dict[int, DealOutlook]: ...
    def lead_outlooks(self, facts: Sequence[LeadFacts]) -> dict[int, LeadOutlook]: ...
    def quiet_after_days(self) -> dict[str, float]:
        """Days without a touch after which a deal in each stage counts as gone quiet."""
        ...

    def explain_deal(self, facts: DealFacts, top: int = 3) -> list[str]: ...


@runtime_checkable
class ColumnForecaster(Forecaster, Protocol):
    """A forecaster that also scores many deals at once from their columns.

    The bulk ranking takes this path when the forecaster offers it and builds facts per deal for
    `deal_outlooks` when it does not; both give the same outlooks.
    """

    def deal_outlook_columns(self, deals: OpenDeals) -> OutlookColumns: ...


# --- Learned probabilities (win probability for deals, conversion for leads) -------------------

FactsT_contra = TypeVar("FactsT_contra", contravariant=True)


class ProbabilityModel(Protocol[FactsT_contra]):
    """p(win) for deal facts or p(convert) for lead facts, with the reasons in words."""

    @property
    def kind(self) -> str: ...

    def predict(self, facts: Sequence[FactsT_contra]) -> list[float]: ...
    def explain(self, facts: FactsT_contra, top: int = 3) -> list[str]: ...
    def to_bytes(self) -> bytes: ...


class DealProbabilityModel(ProbabilityModel[DealFacts], Protocol):
    """A deal model also carries the stage norms it was trained with (for expected days)."""

    @property
    def norms(self) -> StageNorms: ...


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """What a trainer hands back: the model, and metrics for the model-version record."""

    kind: str
    model: ProbabilityModel[Any]
    metrics: dict[str, Any]


class ModelTrainer(Protocol):
    """Fits a model from leak-free examples (core.history); base rates when history is thin."""

    def train_deals(
        self, examples: Sequence[DealExample], norms: StageNorms, open_facts: Sequence[DealFacts]
    ) -> TrainedModel: ...
    def train_leads(
        self, examples: Sequence[LeadExample], open_facts: Sequence[LeadFacts]
    ) -> TrainedModel: ...


class ModelLoader(Protocol):
    """Turns a stored model blob back into a model (learned or base-rate)."""

    def __call__(self, blob: bytes) -> ProbabilityModel[Any]: ...
