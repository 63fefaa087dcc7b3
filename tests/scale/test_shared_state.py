"""Rate limits and Slack deliveries shared through the SQL store, on SQLite and on a real
PostgreSQL: separate engines stand for separate processes, threads make the race real."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from assistant.partners.ratelimit import SlidingWindowLimiter
from assistant.partners.shared_limit import LayeredLimiter, SqlWindowLimiter, rate_limit_hits
from assistant.slack.dedupe import SharedDeliveries, slack_deliveries_table
from assistant.storage.db import build_engine


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Engine]:
    """A factory of engines on one database: each call is another 'process'."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url"
    )
    made: list[Engine] = []

    def make() -> Engine:
        engine = build_engine(url)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


def race(workers: int, attempts: int, action: Callable[[int], object]) -> list[object]:
    """`attempts` calls of action(worker) per worker, all workers released at once; an exception
    is the outcome of its call."""
    barrier = threading.Barrier(workers)
    results: list[object] = []
    lock = threading.Lock()

    def run(worker: int) -> None:
        barrier.wait()
        for _ in range(attempts):
            try:
                outcome = action(worker)
            except Exception as exc:  # kept as the outcome: the test sees it
                outcome = exc
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- rate limits -------------------------------------------------------------------------------


def test_two_processes_share_one_window_and_get_the_same_retry_after(engines: Callable[[], Engine]) -> None:
    clock = Clock()
    first, second = SqlWindowLimiter(engines(), clock=clock), SqlWindowLimiter(engines(), clock=clock)
    assert first.hit("ask:1", 3) is None
    clock.now += 10
    assert second.hit("ask:1", 3) is None
    assert first.hit("ask:1", 3) is None
    assert second.hit("ask:1", 3) == 50  # the first hit leaves the window in 50 s
    assert first.hit("ask:1", 3) == 50
    assert first.hit("ask:2", 3) is None  # another key has its own window
    clock.now += 50
    assert second.hit("ask:1", 3) is None
    assert first.hit("ask:1", 3) == 10


def test_concurrent_hits_from_many_processes_never_exceed_the_limit(engines: Callable[[], Engine]) -> None:
    limiters = [LayeredLimiter(SqlWindowLimiter(engines())) for _ in range(4)]
    results = race(8, 10, lambda worker: limiters[worker % 4].hit("ask:race", 25))
    assert sum(1 for r in results if r is None) == 25
    assert all(r is None or 1 <= int(r) <= 60 for r in results)  # type: ignore[call-overload]


def test_the_in_process_fast_path_only_refuses(tmp_path: Path) -> None:
    clock = Clock()
    engine = build_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    shared = SqlWindowLimiter(engine, clock=clock)
    local = SlidingWindowLimiter(clock=clock)
    layered = LayeredLimiter(shared, local)
    other = LayeredLimiter(SqlWindowLimiter(engine, clock=clock))  # another process
    assert other.hit("k", 2) is None
    assert other.hit("k", 2) is None
    assert layered.hit("k", 2) is not None  # this process has seen nothing, the shared store refuses
    assert local.over_limit("k", 2) is None  # and a refusal is not counted locally
    clock.now += 61
    assert layered.hit("k", 2) is None
    assert layered.hit("k", 2) is None
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(rate_limit_hits)).scalar_one()
    assert layered.hit("k", 2) == 60  # refused by the local window, without a third stored hit
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rate_limit_hits)).scalar_one() == stored


def test_expired_hits_are_pruned(tmp_path: Path) -> None:
    clock = Clock()
    limiter = SqlWindowLimiter(build_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}"), clock=clock)
    for key in ("a", "b", "c"):
        limiter.hit(key, 5)
    clock.now += 61
    assert limiter.prune() == 3


# --- Slack deliveries --------------------------------------------------------------------------


def test_a_delivery_is_first_for_exactly_one_process(engines: Callable[[], Engine]) -> None:
    first, second = SharedDeliveries(engines()), SharedDeliveries(engines())
    keys = (("event", "Ev1"), ("client_msg", "m-1"), ("post", "C1", "1.0"))
    assert first.first_time(*keys)
    assert not second.first_time(*keys)
    # the same post under another event id (app_mention and message.channels) is a duplicate too
    assert not second.first_time(("event", "Ev2"), None, ("post", "C1", "1.0"))
    assert not first.first_time(("event", "Ev2"))  # every key of a delivery is remembered
    assert second.first_time(("event", "Ev3"), ("post", "C1", "2.0"))


def test_racing_processes_answer_each_message_once(engines: Callable[[], Engine]) -> None:
    stores = [SharedDeliveries(engines()) for _ in range(4)]
    for n in range(5):
        keys = (("event", f"Ev-{n}"), ("client_msg", f"m-{n}"), ("post", "C9", f"{n}.0"))
        results = race(8, 1, lambda worker, keys=keys: stores[worker % 4].first_time(*keys))
        assert results.count(True) == 1, (n, results)


def test_old_deliveries_are_pruned(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store = SharedDeliveries(engine)
    store.first_time(("event", "old"))
    assert store.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(slack_deliveries_table)).scalar_one() == 0
    assert SharedDeliveries(engine).first_time(("event", "old"))  # forgotten by the store


# --- partners ----------------------------------------------------------------------------------


def test_replicas_starting_together_create_the_demo_partner_once(engines: Callable[[], Engine]) -> None:
    from assistant.partners.store import PartnerStore

    stores = [PartnerStore(engines()) for _ in range(4)]
    partners = race(8, 1, lambda worker: stores[worker % 4].ensure("demo", ["http://127.0.0.1:8000"]))
    assert not [p for p in partners if isinstance(p, Exception)], partners
    assert len({p.key for p in partners}) == 1  # type: ignore[attr-defined]
    assert [p.name for p in stores[0].list()] == ["demo"]


def test_replicas_starting_together_on_an_empty_database_create_its_tables_once(
    engines: Callable[[], Engine],
) -> None:
    from assistant.components import SqlStores
    from assistant.index.keyword_store import KeywordIndexStore
    from assistant.partners.store import PartnerStore
    from assistant.slack.pending import PostedAnswers
    from assistant.storage.feedback import FeedbackStore

    made = [engines() for _ in range(6)]

    def start(worker: int) -> object:
        engine = made[worker]
        stores = SqlStores(feedback=FeedbackStore(engine), partners=PartnerStore(engine))
        SqlWindowLimiter(engine), SharedDeliveries(engine), PostedAnswers(engine), KeywordIndexStore(engine)
        return stores

    outcomes = race(6, 1, start)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
