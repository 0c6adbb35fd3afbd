"""
Tests for ActivityLog.record_sketch: months built from sketches made elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientid import (
    ActivityLog,
    Client,
    ClientId,
    ClientType,
    Count,
    HyperLogLog,
    MountAccessor,
    Namespace,
    NamespaceId,
)
from clientid.errors import (
    DecodeError,
    InvalidModelError,
    SketchedMonthError,
)
from clientid.model.hashing import datasketches_hash128
from clientid.sketch.hll import hash_coupon

UTC = dt.UTC
JANUARY = dt.date(2025, 1, 1)
FEBRUARY = dt.date(2025, 2, 1)
ROOT = NamespaceId("root")
USERPASS = MountAccessor("auth_userpass_1")
IMAGES = Path(__file__).parent / "acceptance" / "data" / "datasketches"


def ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def sketch_of(client_ids: list[str], lg_k: int = 12) -> HyperLogLog:
    sketch = HyperLogLog(lg_k)
    sketch.update(client_ids)
    return sketch


def record(
    log: ActivityLog,
    sketch: HyperLogLog | bytes | bytearray,
    *,
    month: dt.date = JANUARY,
    namespace: str = "root",
    mount: str | None = "auth_userpass_1",
    client_type: ClientType = ClientType.ENTITY,
) -> None:
    log.record_sketch(
        month,
        namespace_id=NamespaceId(namespace),
        mount_accessor=None if mount is None else MountAccessor(mount),
        client_type=client_type,
        sketch=sketch,
    )
    log._check()


def client(
    client_id: str,
    namespace: str = "root",
    mount: str | None = "auth_userpass_1",
    client_type: ClientType = ClientType.ENTITY,
) -> Client:
    return Client(
        id=ClientId(client_id),
        type=client_type,
        namespace_id=NamespaceId(namespace),
        mount_accessor=None if mount is None else MountAccessor(mount),
    )


def estimated(sketch: HyperLogLog, std_devs: int = 2) -> Count:
    value = round(sketch.estimate())
    lower = max(0, math.floor(sketch.lower_bound(std_devs)))
    return Count(
        value=value,
        is_exact=False,
        lower_bound=min(value, lower),
        upper_bound=max(value, math.ceil(sketch.upper_bound(std_devs))),
        std_devs=std_devs,
    )


def january(log: ActivityLog, **kwargs: object):
    return log.report(JANUARY, JANUARY, **kwargs)  # type: ignore[arg-type]


class TestReports:
    def test_a_sketch_only_month_reports_an_estimate_with_bounds(self):
        """
        A month fed one sketch reports its estimate, flagged, with bounds.
        """
        log = ActivityLog(lg_k=12)
        sketch = sketch_of(ids("c", 5_000))

        record(log, sketch)
        report = january(log)

        assert estimated(sketch) == report.distinct.clients
        assert report.distinct.clients == report.total.clients
        assert not report.is_exact
        assert not log.is_exact_month(JANUARY)

    def test_the_bounds_hold_the_true_count(self):
        """
        The 2-sigma bounds of a sketched group contain its real size.
        """
        log = ActivityLog(lg_k=12)

        record(log, sketch_of(ids("c", 20_000)))
        count = january(log).by_namespace[0].mounts[0].counts.entity_clients

        assert count.lower_bound <= 20_000 <= count.upper_bound
        assert count.std_devs == 2

    def test_a_small_sketch_counts_nearly_exactly(self):
        """
        A sketch still in coupon mode gives the exact count, flagged.
        """
        log = ActivityLog(lg_k=12)

        record(log, sketch_of(ids("c", 100)))
        count = january(log).distinct.clients

        assert count.value == 100
        assert not count.is_exact

    def test_groups_keep_their_namespace_mount_and_type(self):
        """
        Each sketch counts under its own namespace, mount and client type.
        """
        log = ActivityLog(
            namespaces=[
                Namespace(id=NamespaceId("ns1"), path="ns1/", parent_id=ROOT)
            ]
        )
        record(log, sketch_of(ids("e", 30)), namespace="ns1")
        record(
            log,
            sketch_of(ids("t", 20)),
            mount=None,
            client_type=ClientType.NON_ENTITY_TOKEN,
        )

        report = january(log)
        layout = {
            (ns.namespace_path, mount.mount_path): (
                mount.counts.entity_clients.value,
                mount.counts.non_entity_clients.value,
            )
            for ns in report.by_namespace
            for mount in ns.mounts
        }

        assert layout == {
            ("ns1/", 'deleted mount; accessor "auth_userpass_1"'): (30, 0),
            ("", "no mount accessor (pre-1.10 upgrade?)"): (0, 20),
        }

    def test_a_report_scoped_to_a_namespace_sees_only_its_sketches(self):
        """
        Scoping a report to a namespace leaves other namespaces' sketches out.
        """
        ns1 = Namespace(id=NamespaceId("ns1"), path="ns1/", parent_id=ROOT)
        log = ActivityLog(namespaces=[ns1])
        record(log, sketch_of(ids("a", 30)), namespace="ns1")
        record(log, sketch_of(ids("b", 50)))

        report = january(log, namespace_id=ns1.id)

        assert report.distinct.clients.value == 30

    def test_a_client_in_two_groups_counts_in_both_but_once_in_distinct(
        self,
    ):
        """
        Sketches overlap: total adds the overlap twice, distinct once.
        """
        ns1 = Namespace(id=NamespaceId("ns1"), path="ns1/", parent_id=ROOT)
        log = ActivityLog(namespaces=[ns1])
        record(log, sketch_of(ids("c", 60)))
        record(log, sketch_of(ids("c", 40)), namespace="ns1")

        report = january(log)

        assert report.total.clients.value == 100
        assert report.distinct.clients.value == 60

    def test_new_clients_of_a_sketched_month_are_estimated(self):
        """
        New clients of a sketched month exclude those of an earlier month.
        """
        log = ActivityLog()
        record(log, sketch_of(ids("c", 100)))
        record(log, sketch_of(ids("c", 150)), month=FEBRUARY)

        report = log.report(JANUARY, FEBRUARY)
        new = report.months[1].new_clients.counts.clients

        assert new.value == 50
        assert not new.is_exact
        assert report.distinct.clients.value == 150


class TestMixing:
    def test_exact_months_stay_exact_beside_sketched_ones(self):
        """
        In a range with an exact and a sketched month, only the second is
        estimated, and distinct is their union.
        """
        log = ActivityLog()
        for client_id in ids("c", 100):
            log.record(client(client_id), dt.datetime(2025, 1, 2, tzinfo=UTC))
        record(log, sketch_of(ids("c", 150)), month=FEBRUARY)

        report = log.report(JANUARY, FEBRUARY)
        first, second = report.months

        assert first.counts.is_exact
        assert first.counts.clients.value == 100
        assert not second.counts.is_exact
        assert report.distinct.clients.value == 150
        assert not report.distinct.clients.is_exact

    def test_a_sketch_turns_a_month_of_records_into_sketches(self):
        """
        A sketch for a month that holds records sketches them and unions.
        """
        log = ActivityLog()
        for client_id in ids("c", 80):
            log.record(client(client_id), dt.datetime(2025, 1, 2, tzinfo=UTC))
        record(log, sketch_of(ids("c", 100)))

        assert not log.is_exact_month(JANUARY)
        assert january(log).distinct.clients.value == 100
        with pytest.raises(SketchedMonthError):
            log.export(JANUARY, JANUARY)

    def test_records_after_a_sketch_join_its_group(self):
        """
        A record in a sketched month is added to its group's sketch.
        """
        log = ActivityLog()
        record(log, sketch_of(ids("c", 100)))

        log.record(client("c100"), dt.datetime(2025, 1, 3, tzinfo=UTC))
        log.record(client("c0"), dt.datetime(2025, 1, 3, tzinfo=UTC))
        log._check()

        assert january(log).distinct.clients.value == 101

    def test_two_sketches_for_one_group_are_unioned(self):
        """
        Sketches for the same group merge as a union, not a sum.
        """
        log = ActivityLog()
        record(log, sketch_of(ids("c", 100)))
        record(log, sketch_of(ids("c", 150)))

        assert january(log).total.clients.value == 150

    @given(
        sizes=st.lists(
            st.integers(min_value=2, max_value=600), min_size=1, max_size=4
        )
    )
    def test_sketches_report_as_a_month_that_fell_back_to_sketches(
        self, sizes
    ):
        """
        Per-group sketches give the report of the same records sketched.
        """
        by_sketch = ActivityLog(lg_k=10)
        by_record = ActivityLog(lg_k=10, exact_limit=1)
        for number, size in enumerate(sizes):
            members = ids(f"g{number}-", size)
            mount = f"auth_userpass_{number}"
            # A sketched month makes each group's sketch from its clients'
            # coupons, in coupon order: so both sketches see the same
            # order (and HIP estimate).
            sketch = HyperLogLog.from_coupons(
                10,
                (hash_coupon(datasketches_hash128(m)) for m in members),
            )
            record(by_sketch, sketch, mount=mount)
            for client_id in members:
                by_record.record(
                    client(client_id, mount=mount),
                    dt.datetime(2025, 1, 2, tzinfo=UTC),
                )

        assert january(by_record) == january(by_sketch)


class TestInputs:
    def test_datasketches_image_bytes_count_as_the_sketch(self):
        """
        A DataSketches image reports the same as the sketch it encodes.
        """
        sketch = sketch_of(ids("c", 3_000))
        from_sketch, from_bytes = ActivityLog(lg_k=12), ActivityLog(lg_k=12)

        record(from_sketch, sketch)
        record(from_bytes, sketch.to_datasketches())

        assert january(from_sketch) == january(from_bytes)

    def test_an_image_written_by_datasketches_loads(self):
        """
        An HLL_4 image from DataSketches reports DataSketches' own numbers.
        """
        name = "hll-lgk10-hll_4-compact.bin"
        (facts,) = [
            image
            for image in json.loads((IMAGES / "images.json").read_text())[
                "images"
            ]
            if image["file"] == name
        ]
        log = ActivityLog()

        record(log, bytearray((IMAGES / name).read_bytes()))
        count = january(log, std_devs=3).distinct.clients

        assert round(facts["estimate"]) == count.value
        assert math.floor(facts["lower_bounds"][2]) == count.lower_bound
        assert math.ceil(facts["upper_bounds"][2]) == count.upper_bound
        assert count.lower_bound <= facts["input"]["n"] <= count.upper_bound

    def test_a_finer_sketch_is_down_sampled_to_the_log_precision(self):
        """
        A sketch with more registers than the log uses is folded to lg_k.
        """
        clients = ids("c", 10_000)
        log = ActivityLog(lg_k=11)

        record(log, sketch_of(clients, lg_k=14))

        expected = estimated(sketch_of(clients, lg_k=11).union())
        assert expected == january(log).distinct.clients

    def test_a_coarser_sketch_keeps_its_precision(self):
        """
        A sketch with fewer registers than the log uses keeps its lg_k.
        """
        clients = ids("c", 10_000)
        log = ActivityLog(lg_k=14)

        record(log, sketch_of(clients, lg_k=10))

        expected = estimated(sketch_of(clients, lg_k=10))
        assert expected == january(log).distinct.clients

    def test_the_log_keeps_a_copy_of_the_sketch(self):
        """
        Changing the caller's sketch afterwards does not change the log.
        """
        sketch = sketch_of(ids("c", 10))
        log = ActivityLog()
        record(log, sketch)

        sketch.update(ids("d", 10))

        assert january(log).distinct.clients.value == 10

    def test_an_empty_sketch_records_nothing(self):
        """
        An empty sketch neither creates nor sketches a month.
        """
        log = ActivityLog()

        record(log, HyperLogLog(12))
        record(log, HyperLogLog(4).to_datasketches())

        assert log.months == ()
        assert log.is_exact_month(JANUARY)

    def test_a_sketch_outside_retention_is_discarded(self):
        """
        A sketch for a month older than retention counts as discarded.
        """
        log = ActivityLog(retention_months=1)
        record(log, sketch_of(ids("c", 10)), month=dt.date(2025, 6, 1))

        record(log, sketch_of(ids("c", 10)), month=JANUARY)

        assert log.discarded_records == 1
        assert (dt.datetime(2025, 6, 1, tzinfo=UTC),) == log.months

    def test_an_aware_datetime_names_its_utc_month(self):
        """
        A datetime picks the UTC month it falls in.
        """
        log = ActivityLog()
        eastern = dt.timezone(dt.timedelta(hours=-5))

        record(
            log,
            sketch_of(ids("c", 10)),
            month=dt.datetime(2025, 1, 31, 22, tzinfo=eastern),
        )

        assert (dt.datetime(2025, 2, 1, tzinfo=UTC),) == log.months


class TestErrors:
    @pytest.mark.parametrize(
        ("arguments", "field"),
        [
            ({"month": dt.datetime(2025, 1, 1)}, "month"),  # noqa: DTZ001 (naive on purpose)
            ({"month": "2025-01"}, "month"),
            ({"namespace_id": ""}, "namespace_id"),
            ({"mount_accessor": ""}, "mount_accessor"),
            ({"client_type": "entity"}, "client_type"),
            ({"sketch": 12}, "sketch"),
            ({"sketch": "bytes"}, "sketch"),
        ],
    )
    def test_bad_arguments_raise_an_error_naming_the_field(
        self, arguments, field
    ):
        """
        Each bad argument raises InvalidModelError naming its field.
        """
        log = ActivityLog()
        call = {
            "month": JANUARY,
            "namespace_id": ROOT,
            "mount_accessor": USERPASS,
            "client_type": ClientType.ENTITY,
            "sketch": sketch_of(ids("c", 10)),
        }
        call.update(arguments)
        month = call.pop("month")

        with pytest.raises(InvalidModelError) as caught:
            log.record_sketch(month, **call)  # type: ignore[arg-type]

        assert field == caught.value.field
        assert field in str(caught.value)

    def test_bytes_that_are_no_image_raise_a_decode_error(self):
        """
        Bytes that are not a DataSketches HLL image raise DecodeError.
        """
        log = ActivityLog()

        with pytest.raises(DecodeError):
            record(log, b"\x00\x01\x02")

    def test_a_rejected_sketch_leaves_the_log_unchanged(self):
        """
        A failed call changes no month and creates no group.
        """
        log = ActivityLog()
        log.record(client("c1"), dt.datetime(2025, 1, 2, tzinfo=UTC))

        with pytest.raises(DecodeError):
            record(log, b"not an image")

        assert log.is_exact_month(JANUARY)
        assert january(log).is_exact
