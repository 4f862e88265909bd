"""eventsourcing's own recorder contract tests, run against wss.eventstore on real JetStream."""

from __future__ import annotations

from typing import ClassVar
from unittest import TestCase
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DataError,
    IntegrityError,
    ProcessRecorder,
    StoredEvent,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.utils import Environment

from wss.eventstore import (
    Factory,
    JetStreamAggregateRecorder,
    JetStreamApplicationRecorder,
    JetStreamFactory,
    JetStreamProcessRecorder,
    JetStreamTrackingRecorder,
)


@pytest.fixture(autouse=True, scope="class")
def _nats_url_on_class(request: pytest.FixtureRequest, nats_url: str) -> None:
    # unittest-style cases can't take fixtures as arguments; hand them the URL instead.
    if request.cls is not None:
        request.cls.nats_url = nats_url


class JetStreamCase(TestCase):
    """Each test gets its own application name, hence its own (empty) streams."""

    nats_url: ClassVar[str]

    def setUp(self) -> None:
        super().setUp()
        env = Environment(name=f"t{uuid4().hex[:12]}", env={"NATS_URL": self.nats_url})
        self.factory = Factory(env)

    def tearDown(self) -> None:
        self.factory.delete_streams()
        self.factory.close()
        super().tearDown()


class TestAggregateRecorder(JetStreamCase, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return self.factory.aggregate_recorder()


class TestSnapshotRecorder(JetStreamCase, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return self.factory.aggregate_recorder(purpose="snapshots")


class TestAggregateRecorderWithStrIds(JetStreamCase, AggregateRecorderTestCase):
    def new_originator_id(self) -> str:
        # Not subject-safe, and one that looks like a UUID: both must round-trip as str.
        return f"agent {uuid4()}.* >"

    def create_recorder(self) -> AggregateRecorder:
        return self.factory.aggregate_recorder()


class TestApplicationRecorder(JetStreamCase, ApplicationRecorderTestCase):
    def create_recorder(self) -> ApplicationRecorder:
        return self.factory.application_recorder()

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestNonInterleavingNotificationIDs(JetStreamCase, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return self.factory.application_recorder()


class TestTrackingRecorder(JetStreamCase, TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        return self.factory.tracking_recorder()


class TestProcessRecorder(JetStreamCase, ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()


class CustomTrackingRecorder(JetStreamTrackingRecorder):
    pass


class TestFactory(InfrastructureFactoryTestCase[JetStreamFactory]):
    nats_url: ClassVar[str]

    def setUp(self) -> None:
        self.env = Environment(
            name=f"f{uuid4().hex[:12]}",
            env={"PERSISTENCE_MODULE": "wss.eventstore", "NATS_URL": self.nats_url},
        )
        super().setUp()

    def tearDown(self) -> None:
        self.factory.delete_streams()
        super().tearDown()

    def expected_factory_class(self) -> type[JetStreamFactory]:
        return JetStreamFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return JetStreamAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return JetStreamApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return JetStreamTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return CustomTrackingRecorder

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return JetStreamProcessRecorder


class TestJetStreamSpecifics(JetStreamCase):
    def test_conflicting_batch_stores_nothing(self) -> None:
        recorder = self.factory.application_recorder()
        oid = uuid4()
        first = [StoredEvent(oid, v, "t", b"s") for v in (1, 2)]
        assert recorder.insert_events(first) == [1, 2]
        # Versions 3..5 are new but 2 exists: none of 3..5 may be stored.
        clash = [StoredEvent(oid, v, "t", b"s") for v in (3, 4, 2, 5)]
        with pytest.raises(IntegrityError):
            recorder.insert_events(clash)
        assert [e.originator_version for e in recorder.select_events(oid)] == [1, 2]
        assert recorder.max_notification_id() == 2

    def test_oversized_batch_is_refused(self) -> None:
        recorder = self.factory.application_recorder()
        oid = uuid4()
        with pytest.raises(DataError):
            recorder.insert_events([StoredEvent(oid, v, "t", b"") for v in range(1001)])

    def test_select_events_windows_and_order(self) -> None:
        recorder = self.factory.aggregate_recorder()
        oid = uuid4()
        # Stored out of version order on purpose: reads must still be ordered by version.
        for versions in ((5, 6), (1, 2, 3, 4)):
            recorder.insert_events([StoredEvent(oid, v, f"t{v}", b"") for v in versions])

        def vs(
            gt: int | None = None,
            lte: int | None = None,
            *,
            desc: bool = False,
            limit: int | None = None,
        ) -> list[int]:
            events = recorder.select_events(oid, gt=gt, lte=lte, desc=desc, limit=limit)
            return [e.originator_version for e in events]

        assert vs() == [1, 2, 3, 4, 5, 6]
        assert vs(desc=True, limit=1) == [6]
        assert vs(gt=2, lte=5) == [3, 4, 5]
        assert vs(gt=2, lte=5, desc=True, limit=2) == [5, 4]
        assert vs(lte=4, desc=True, limit=1) == [4]

    def test_process_recorder_ids_skip_tracking(self) -> None:
        recorder = self.factory.process_recorder()
        oid = uuid4()
        ids = recorder.insert_events([StoredEvent(oid, 1, "t", b"")], tracking=Tracking("up", 7))
        assert ids == [1]
        ids = recorder.insert_events([StoredEvent(oid, 2, "t", b"")])
        assert ids == [3]  # sequence 2 holds the tracking record
        assert [n.id for n in recorder.select_notifications(None, 10)] == [1, 3]
        assert recorder.max_notification_id() == 3
        assert recorder.max_tracking_id("up") == 7


# --- an eventsourcing Application end to end ------------------------------------------


class Account(Aggregate):
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.balance = 0

    @event("Credited")
    def credit(self, amount: int) -> None:
        self.balance += amount


class Bank(Application[UUID]):
    is_snapshotting_enabled = True

    def open(self, owner: str) -> UUID:
        account = Account(owner)
        self.save(account)
        return account.id

    def credit(self, account_id: UUID, amount: int) -> None:
        account: Account = self.repository.get(account_id)
        account.credit(amount)
        self.save(account)

    def balance(self, account_id: UUID) -> int:
        account: Account = self.repository.get(account_id)
        return account.balance


def test_application_end_to_end(nats_url: str) -> None:
    env = {
        "PERSISTENCE_MODULE": "wss.eventstore",
        "NATS_URL": nats_url,
        "JETSTREAM_STREAM_PREFIX": f"e2e{uuid4().hex[:8]}",
    }
    app = Bank(env=env)
    try:
        assert isinstance(app.factory, JetStreamFactory)
        account_id = app.open("alice")
        for amount in (10, 20, 30):
            app.credit(account_id, amount)
        app.take_snapshot(account_id)
        app.credit(account_id, 5)

        # Optimistic concurrency through the whole stack: a stale copy can't be saved.
        stale: Account = app.repository.get(account_id)
        app.credit(account_id, 1)
        stale.credit(100)
        with pytest.raises(IntegrityError):
            app.save(stale)
    finally:
        app.close()

    # A fresh process (new factory, new connection) resumes from JetStream.
    again = Bank(env=env)
    try:
        assert again.snapshots is not None
        snapshots = list(again.snapshots.get(account_id))
        assert [s.originator_version for s in snapshots] == [4]
        assert again.balance(account_id) == 66
        notifications = again.notification_log.select(start=1, limit=10)
        assert [n.id for n in notifications] == [1, 2, 3, 4, 5, 6]
        assert again.repository.get(account_id, version=2).balance == 10
    finally:
        assert isinstance(again.factory, JetStreamFactory)
        again.factory.delete_streams()
        again.close()
