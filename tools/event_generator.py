"""Realistic, deterministic `events` records: shopping sessions, a few late, a few malformed.

One generator feeds both the landing-zone writer (`tools.sample_events`) and the Kinesis
producer (`tools.produce`), so what the batch path and the stream path see is the same data.

Users arrive in sessions and walk the funnel page_view -> search -> add_to_cart -> checkout
-> purchase, dropping off at each step. Sessions overlap, and events are yielded in the order
a producer would emit them. For the same `seed` and `start` the output is byte-identical.

* Late events (`late_rate` of the well-formed ones) keep their emit time but carry an
  event_time from an earlier UTC day, 1 minute to 3 days before midnight of the emit day, so
  they always belong to an earlier `dt` partition.
* Malformed events (`malformed_rate` of all events) are labelled with a MalformedKind so tests
  can count them; the transform Lambda rejects every kind. `event_date` is the date that can
  be read back from the payload: None when the payload is not a JSON object with a valid
  event_time.
"""

from __future__ import annotations

import heapq
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

# A fixed default keeps `generate_events(n, seed=s)` reproducible across days and machines.
DEFAULT_START = datetime(2026, 11, 1, tzinfo=UTC)

DEVICES = (("web", 0.55), ("ios", 0.25), ("android", 0.20))
COUNTRIES = (
    ("US", 0.34, "USD"),
    ("GB", 0.10, "GBP"),
    ("DE", 0.10, "EUR"),
    ("FR", 0.07, "EUR"),
    ("IN", 0.09, "INR"),
    ("BR", 0.07, "BRL"),
    ("JP", 0.06, "JPY"),
    ("CA", 0.06, "CAD"),
    ("AU", 0.05, "AUD"),
    ("NL", 0.06, "EUR"),
)
SEARCH_QUERIES = (
    "running shoes", "wireless earbuds", "coffee grinder", "yoga mat", "usb-c cable",
    "desk lamp", "backpack", "water bottle", "mechanical keyboard", "rain jacket",
)  # fmt: skip
USER_AGENTS = ("Mozilla/5.0 (Windows NT 10.0)", "Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (X11)")
APP_VERSIONS = {"ios": ("5.11.2", "5.12.0"), "android": ("5.10.4", "5.12.1")}
CATEGORIES = ("shoes", "audio", "kitchen", "fitness", "electronics", "outdoor")

SESSION_GAP_MEAN_S = 3.0  # mean time between session starts
EVENT_GAP_MEAN_S = 25.0  # mean think time between a user's actions
P_SEARCH, P_CART, P_CHECKOUT, P_PURCHASE = 0.6, 0.35, 0.55, 0.8
P_COUNTRY_MISSING = 0.02  # optional field absent, as from clients with location disabled
CLIENT_LAG_MAX_MS = 2000
LATE_MIN, LATE_MAX = timedelta(minutes=1), timedelta(days=3)


class MalformedKind(StrEnum):
    TRUNCATED_JSON = "truncated_json"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    INVALID_EVENT_TYPE = "invalid_event_type"
    BAD_TIMESTAMP = "bad_timestamp"
    NOT_AN_OBJECT = "not_an_object"
    INVALID_UUID = "invalid_uuid"
    NON_UTF8 = "non_utf8"
    BAD_COUNTRY = "bad_country"


@dataclass(frozen=True)
class GeneratedEvent:
    payload: bytes  # exactly what a producer sends: one JSON object, or malformed bytes
    partition_key: str  # the user id: Kinesis partition key, present even when malformed
    emitted_at: datetime  # when the producer sends it
    event_date: date | None  # the dt the payload belongs to; None when it has none
    malformed: MalformedKind | None = None
    late: bool = False


@dataclass(frozen=True)
class _Product:
    product_id: str
    category: str
    price: float


@dataclass(frozen=True)
class _User:
    user_id: str
    device: str
    country: str | None
    currency: str


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Simulation:
    def __init__(self, rng: random.Random, count: int) -> None:
        self.rng = rng
        self.user_pool = max(20, count // 15)
        self.users: dict[int, _User] = {}
        self.products = [
            _Product(
                product_id=f"p-{index:05d}",
                category=rng.choice(CATEGORIES),
                price=round(min(2000.0, rng.lognormvariate(3.4, 0.9)), 2),
            )
            for index in range(250)
        ]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def user(self) -> _User:
        index = self.rng.randrange(self.user_pool)
        if index not in self.users:
            device = self.rng.choices([d for d, _ in DEVICES], [w for _, w in DEVICES])[0]
            country, _, currency = self.rng.choices(COUNTRIES, [w for _, w, _ in COUNTRIES])[0]
            missing = self.rng.random() < P_COUNTRY_MISSING
            self.users[index] = _User(
                f"user-{index:07d}", device, None if missing else country, currency
            )
        return self.users[index]

    def session(self, started: datetime) -> list[tuple[datetime, dict[str, Any]]]:
        """One user's visit, as (emit time, record) in time order."""
        rng, user = self.rng, self.user()
        session_id = self.uuid()
        base: dict[str, Any] = {"user_id": user.user_id, "session_id": session_id}
        base["device"] = user.device
        if user.country:
            base["country"] = user.country
        if user.device in APP_VERSIONS:
            common_props = {"app_version": rng.choice(APP_VERSIONS[user.device])}
        else:
            common_props = {"user_agent": rng.choice(USER_AGENTS)}

        steps: list[tuple[str, dict[str, Any]]] = []
        product = rng.choice(self.products)
        for _ in range(1 + min(int(rng.expovariate(0.8)), 6)):
            page = rng.choice(
                ("/", f"/category/{product.category}", f"/product/{product.product_id}")
            )
            steps.append(("page_view", {"properties": {"page": page}}))
        if rng.random() < P_SEARCH:
            steps.append(("search", {"properties": {"query": rng.choice(SEARCH_QUERIES)}}))
            product = rng.choice(self.products)
            steps.append(("page_view", {"properties": {"page": f"/product/{product.product_id}"}}))
            if rng.random() < P_CART:
                line = {
                    "price": product.price,
                    "quantity": rng.choices((1, 2, 3), (0.8, 0.15, 0.05))[0],
                    "properties": {"product_id": product.product_id, "currency": user.currency},
                }
                steps.append(("add_to_cart", line))
                if rng.random() < P_CHECKOUT:
                    steps.append(("checkout", line))
                    if rng.random() < P_PURCHASE:
                        steps.append(("purchase", line))

        moment, timeline = started, []
        for event_type, extra in steps:
            record = {"event_id": self.uuid(), "event_type": event_type, "event_time": ""}
            record.update(base)
            record.update({k: v for k, v in extra.items() if k != "properties"})
            record["properties"] = {**common_props, **extra["properties"]}
            timeline.append((moment, record))
            moment += timedelta(seconds=1 + rng.expovariate(1 / EVENT_GAP_MEAN_S))
        return timeline


def _late_event_time(rng: random.Random, emitted_at: datetime) -> datetime:
    midnight = emitted_at.replace(hour=0, minute=0, second=0, microsecond=0)
    span = (LATE_MAX - LATE_MIN).total_seconds()
    return midnight - LATE_MIN - timedelta(seconds=rng.uniform(0, span))


def _encode(record: object) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _malform(
    rng: random.Random, kind: MalformedKind, record: dict[str, Any], event_date: date
) -> tuple[bytes, date | None]:
    """Damage `record` in the way `kind` names; returns (payload, date readable from it)."""
    if kind is MalformedKind.TRUNCATED_JSON:
        text = _encode(record)
        return text[: rng.randrange(1, len(text) - 1)], None
    if kind is MalformedKind.NOT_AN_OBJECT:
        return _encode([record]), None
    if kind is MalformedKind.NON_UTF8:
        text = _encode(record)
        cut = text.index(b'"user_id":"') + len(b'"user_id":"')
        return text[:cut] + b"\xff\xfe" + text[cut:], None

    damaged = dict(record)
    dated: date | None = event_date
    if kind is MalformedKind.MISSING_FIELD:
        field = rng.choice(("event_id", "event_type", "event_time", "user_id"))
        del damaged[field]
        if field == "event_time":
            dated = None
    elif kind is MalformedKind.WRONG_TYPE:
        damaged["quantity"] = rng.choice(("several", [1, 2], {"value": 2}))
    elif kind is MalformedKind.INVALID_EVENT_TYPE:
        damaged["event_type"] = rng.choice(("click", "PageView", "purchased"))
    elif kind is MalformedKind.BAD_TIMESTAMP:
        naive = damaged["event_time"].removesuffix("Z").replace("T", " ")
        damaged["event_time"] = rng.choice(("yesterday", naive, "2026-13-45T25:61:00Z"))
        dated = None
    elif kind is MalformedKind.INVALID_UUID:
        damaged["event_id"] = f"evt-{rng.randrange(10**6)}"
    elif kind is MalformedKind.BAD_COUNTRY:
        damaged["country"] = rng.choice(("USA", "Germany", "1", "U$"))
    return _encode(damaged), dated


def _check_rates_and_start(malformed_rate: float, late_rate: float, start: datetime | None) -> None:
    """The checks both generators make on their shared arguments, one error each."""
    for name, rate in (("malformed_rate", malformed_rate), ("late_rate", late_rate)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {rate}")
    if start is not None and start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got {start.isoformat()}")


def generate_events(
    count: int,
    *,
    seed: int,
    malformed_rate: float = 0.03,
    late_rate: float = 0.05,
    start: datetime | None = None,
) -> Iterator[GeneratedEvent]:
    """Yield `count` events in emit order, starting at `start` (default DEFAULT_START)."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    _check_rates_and_start(malformed_rate, late_rate, start)

    rng = random.Random(seed)
    sim = _Simulation(rng, count)
    clock = (start or DEFAULT_START).astimezone(UTC)
    kinds = list(MalformedKind)
    pending: list[tuple[datetime, int, dict[str, Any]]] = []  # heap of (emit time, seq, record)
    sequence = emitted = 0

    while emitted < count:
        clock += timedelta(seconds=rng.expovariate(1 / SESSION_GAP_MEAN_S))
        for moment, record in sim.session(clock):
            heapq.heappush(pending, (moment, sequence, record))
            sequence += 1
        # No later session can start before `clock`, so everything up to it is final.
        while pending and pending[0][0] <= clock and emitted < count:
            emitted_at, _, record = heapq.heappop(pending)
            yield _finish(
                rng,
                record,
                emitted_at,
                kinds=kinds,
                malformed_rate=malformed_rate,
                late_rate=late_rate,
            )
            emitted += 1
    # count reached: whatever is still pending was never emitted.


def generate_sessions(
    sessions: int,
    *,
    seed: int,
    malformed_rate: float = 0.03,
    late_rate: float = 0.05,
    start: datetime | None = None,
) -> Iterator[GeneratedEvent]:
    """Yield every event of `sessions` whole sessions in emit order, from `start`.

    `generate_events` stops at an event count, which cuts the sessions still open at that
    moment short; a demo that counts sessions end to end needs each one whole, so this stops
    starting sessions at `sessions` and then emits everything still pending. Deterministic for
    the same arguments, like `generate_events`.
    """
    if sessions < 0:
        raise ValueError(f"sessions must be >= 0, got {sessions}")
    _check_rates_and_start(malformed_rate, late_rate, start)

    rng = random.Random(seed)
    sim = _Simulation(rng, sessions * 4)  # about four events a session sizes the user pool
    clock = (start or DEFAULT_START).astimezone(UTC)
    kinds = list(MalformedKind)
    pending: list[tuple[datetime, int, dict[str, Any]]] = []
    sequence = 0
    for started in range(sessions + 1):
        if started < sessions:
            clock += timedelta(seconds=rng.expovariate(1 / SESSION_GAP_MEAN_S))
            for moment, record in sim.session(clock):
                heapq.heappush(pending, (moment, sequence, record))
                sequence += 1
        while pending and (started == sessions or pending[0][0] <= clock):
            emitted_at, _, record = heapq.heappop(pending)
            yield _finish(
                rng,
                record,
                emitted_at,
                kinds=kinds,
                malformed_rate=malformed_rate,
                late_rate=late_rate,
            )


def _finish(
    rng: random.Random,
    record: dict[str, Any],
    emitted_at: datetime,
    *,
    kinds: list[MalformedKind],
    malformed_rate: float,
    late_rate: float,
) -> GeneratedEvent:
    malformed = rng.choice(kinds) if rng.random() < malformed_rate else None
    late = malformed is None and rng.random() < late_rate
    if late:
        event_time = _late_event_time(rng, emitted_at)
    else:  # clients batch sends, so an event is a moment older than its emit time
        event_time = emitted_at - timedelta(milliseconds=rng.randrange(0, CLIENT_LAG_MAX_MS))
    record["event_time"] = _timestamp(event_time)
    event_date = event_time.date()
    if malformed is None:
        payload, dated = _encode(record), event_date
    else:
        payload, dated = _malform(rng, malformed, record, event_date)
    return GeneratedEvent(
        payload=payload,
        partition_key=record["user_id"],
        emitted_at=emitted_at,
        event_date=dated,
        malformed=malformed,
        late=late,
    )
