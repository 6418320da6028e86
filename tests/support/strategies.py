"""Hypothesis strategies for task fields, drafts, changes, filters and listings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from tests.support.clock import DEFAULT_START
from todo_core.edits import UNSET, TaskChanges, TaskDraft
from todo_core.model import (
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Task,
    TaskPriority,
    TaskStatus,
    clean_tags,
)
from todo_core.queries import SortField, TaskFilter

#: Whitespace that ``str.strip()`` removes, ASCII and not.
SURROUNDING_WHITESPACE = " \t\n\r\u00a0\u2003\u3000\x1f"
#: Titles people really type, including emoji built with zero-width joiners.
SPECIAL_TITLES = (
    "👩\u200d💻 ship it",
    "🏳️\u200d🌈",
    "Ünïcödé ✓",
    "日本語のタスク",
    "100% done_with \\ slashes",
    "a",
    "x" * TITLE_MAX_LENGTH,
)

#: Tags as people spell them, some equal but for case (as filter keys: case-folded).
TAG_SPELLINGS = ("work", "Work", "home", "ÜBER", "über", "straße", "STRASSE", "🏠", "a b")
TAG_KEYS = tuple(sorted({tag.casefold() for tag in TAG_SPELLINGS}))
#: A stored task's tags, normalised as the domain stores them.
tag_lists = st.lists(st.sampled_from(TAG_SPELLINGS), max_size=4).map(clean_tags)

statuses = st.sampled_from(TaskStatus)
priorities = st.sampled_from(TaskPriority)
sort_fields = st.sampled_from(SortField)
#: ``None`` asks for the sort field's default direction.
directions = st.none() | st.booleans()

_title_chars = st.characters(exclude_categories=["Cc", "Cs"])
_control_chars = st.characters(categories=["Cc"])
#: Lone surrogates: a str can hold them, UTF-8 (and so no database) cannot.
_lone_surrogates = st.characters(categories=["Cs"])
_padding = st.text(alphabet=SURROUNDING_WHITESPACE, max_size=3)


def _trimmed(text: str) -> bool:
    return text == text.strip() and text != ""


#: Valid titles with nothing to trim.
clean_titles = st.one_of(
    st.text(_title_chars, min_size=1, max_size=TITLE_MAX_LENGTH).filter(_trimmed),
    st.sampled_from(SPECIAL_TITLES),
)


@st.composite
def titles(draw: st.DrawFn) -> str:
    """A valid title, possibly with whitespace around it (which is trimmed)."""
    return draw(_padding) + draw(clean_titles) + draw(_padding)


@st.composite
def invalid_titles(draw: st.DrawFn) -> str:
    """Blank, too long after trimming, or with a control character inside."""
    kind = draw(st.sampled_from(["blank", "long", "control", "surrogate"]))
    if kind == "blank":
        return draw(_padding)
    if kind == "long":
        size = draw(st.integers(TITLE_MAX_LENGTH + 1, TITLE_MAX_LENGTH + 40))
        return draw(_padding) + draw(st.sampled_from("aé日👍")) * size + draw(_padding)
    head = draw(st.text(_title_chars, min_size=1, max_size=20).filter(_trimmed))
    tail = draw(st.text(_title_chars, min_size=1, max_size=20).filter(_trimmed))
    forbidden = _control_chars if kind == "control" else _lone_surrogates
    return head + draw(forbidden) + tail


_description_chars = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])

#: Valid descriptions (tabs, line breaks and other text allowed), or ``None``.
descriptions = st.one_of(
    st.none(),
    st.text(_description_chars, max_size=200),
    st.sampled_from(["", "line one\nline two\r\n\tindented", "é" * DESCRIPTION_MAX_LENGTH]),
)


@st.composite
def invalid_descriptions(draw: st.DrawFn) -> str:
    """Too long, or carrying a NUL or a lone surrogate."""
    kind = draw(st.sampled_from(["long", "nul", "surrogate"]))
    if kind == "long":
        size = draw(st.integers(DESCRIPTION_MAX_LENGTH + 1, DESCRIPTION_MAX_LENGTH + 50))
        return draw(st.sampled_from("a\n日")) * size
    forbidden = "\x00" if kind == "nul" else draw(_lone_surrogates)
    head = draw(st.text(_description_chars, max_size=20))
    return head + forbidden + draw(st.text(_description_chars, max_size=20))


#: Fixed UTC offsets strictly inside +-24 h, as clients may send them.
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)

#: UTC timestamps with microseconds over the whole supported range (years 1-9999).
utc_datetimes = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)
).map(lambda moment: moment.replace(tzinfo=UTC))

#: Aware timestamps in any offset that are still within years 1-9999 in UTC.
aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)

naive_datetimes = st.datetimes()


@st.composite
def drafts(draw: st.DrawFn, *, around: datetime = DEFAULT_START) -> TaskDraft:
    """A valid draft; ``status`` and ``completed`` agree when both are given."""
    status = draw(st.none() | statuses)
    if status is None:
        completed = draw(st.none() | st.booleans())
    else:
        completed = draw(st.none() | st.just(status is TaskStatus.COMPLETED))
    return TaskDraft(
        title=draw(titles()),
        description=draw(descriptions),
        status=status,
        priority=draw(priorities),
        due_date=draw(st.none() | near_datetimes(around) | aware_datetimes),
        completed=completed,
    )


def near_datetimes(around: datetime, *, days: int = 3) -> st.SearchStrategy[datetime]:
    """Aware timestamps within ``days`` of ``around``, in any offset."""
    span = timedelta(days=days)
    return st.builds(
        lambda delta, zone: (around + delta).astimezone(zone),
        st.timedeltas(min_value=-span, max_value=span),
        offsets,
    )


@st.composite
def changes(draw: st.DrawFn, *, around: datetime = DEFAULT_START) -> TaskChanges:
    """A valid merge patch; ``status`` and ``completed`` may disagree with each other."""

    def maybe(strategy: st.SearchStrategy[object]) -> object:
        return draw(st.just(UNSET) | strategy)

    return TaskChanges(
        title=maybe(titles()),  # type: ignore[arg-type]
        description=maybe(descriptions),  # type: ignore[arg-type]
        status=maybe(statuses),  # type: ignore[arg-type]
        priority=maybe(priorities),  # type: ignore[arg-type]
        due_date=maybe(st.none() | near_datetimes(around)),  # type: ignore[arg-type]
        completed=maybe(st.booleans()),  # type: ignore[arg-type]
    )


LISTING_TITLES = ("alpha", "Alpha", "beta", "BETA", "Éclair", "éclair", "100% zeta", "snake_case")
LISTING_DESCRIPTIONS = (None, "", "first line\nsecond line", "about ALPHA", "ÉCOLE")
SEARCH_TERMS = ("alpha", "ALP", "éc", "ÉCOLE", "%", "_", "e_c", "\\", "line\nsec", "zzz")


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A task to store, with fields drawn from small pools so that sort values tie."""

    rank: int
    title: str
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    due_hours: int | None
    created_minutes: int
    updated_minutes: int
    tags: tuple[str, ...] = ()
    remind_hours: int | None = None


@st.composite
def task_specs(draw: st.DrawFn, *, max_size: int = 20) -> list[TaskSpec]:
    """Tasks whose sort values often tie; ``rank`` orders their ids."""
    size = draw(st.integers(0, max_size))
    ranks = draw(st.lists(st.integers(0, 0xFFFF), min_size=size, max_size=size, unique=True))
    return [
        TaskSpec(
            rank=rank,
            title=draw(st.sampled_from(LISTING_TITLES)),
            description=draw(st.sampled_from(LISTING_DESCRIPTIONS)),
            status=draw(statuses),
            priority=draw(priorities),
            due_hours=draw(st.none() | st.sampled_from([-48, -1, 0, 1, 48])),
            created_minutes=draw(st.integers(-3, 0)),
            updated_minutes=draw(st.integers(0, 2)),
            tags=draw(tag_lists),
            remind_hours=draw(st.none() | st.sampled_from([-48, -1, 0, 1, 48])),
        )
        for rank in ranks
    ]


def build_tasks(specs: list[TaskSpec], *, user_id: str, now: datetime) -> list[Task]:
    """Turn specs into tasks with fresh ids (unique in any store) ordered by ``rank``."""
    base = uuid.uuid4().int & ~0xFFFF
    tasks = []
    for spec in specs:
        created = now + timedelta(minutes=spec.created_minutes)
        tasks.append(
            Task(
                id=uuid.UUID(int=base | spec.rank),
                user_id=user_id,
                title=spec.title,
                description=spec.description,
                status=spec.status,
                priority=spec.priority,
                due_date=None if spec.due_hours is None else now + timedelta(hours=spec.due_hours),
                completed_at=created if spec.status is TaskStatus.COMPLETED else None,
                created_at=created,
                updated_at=created + timedelta(minutes=spec.updated_minutes),
                version=1 + spec.updated_minutes,
                tags=spec.tags,
                remind_at=None
                if spec.remind_hours is None
                else now + timedelta(hours=spec.remind_hours),
            )
        )
    return tasks


@st.composite
def task_filters(draw: st.DrawFn, *, around: datetime = DEFAULT_START) -> TaskFilter:
    """Any combination of the listing filters, with bounds near ``around``."""
    bounds = st.none() | st.sampled_from([-48, -1, 0, 1, 48]).map(
        lambda hours: around + timedelta(hours=hours)
    )
    return TaskFilter(
        statuses=draw(st.none() | st.frozensets(statuses, min_size=1)),
        priorities=draw(st.none() | st.frozensets(priorities, min_size=1)),
        completed=draw(st.none() | st.booleans()),
        search=draw(st.none() | st.sampled_from(SEARCH_TERMS)),
        due_after=draw(bounds),
        due_before=draw(bounds),
        overdue=draw(st.none() | st.booleans()),
        tags=draw(st.none() | st.frozensets(st.sampled_from(TAG_KEYS), min_size=1, max_size=3)),
        remind_after=draw(bounds),
        remind_before=draw(bounds),
    )
