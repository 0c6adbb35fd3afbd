"""
Integration tests: clientid and Spark exchange client IDs and sketches.

Not part of the default test run (``testpaths`` is ``tests``): they need
PySpark 3.5 or later and a Java runtime, and take a minute or two.  Run::

    python -m pip install pyspark pytest -e .
    python -m pytest integration/test_spark.py -p no:cacheprovider

Spark runs in local mode on two threads with four shuffle partitions.
"""

# Integration tests are plain pytest modules, linted as tests/ is: asserts,
# literal expectations, seeded (not secure) randomness, _check(), no package.

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import TYPE_CHECKING

import pytest

from clientid import (
    AcmeIdentifier,
    ActivityLog,
    Client,
    ClientId,
    ClientType,
    Count,
    HyperLogLog,
    MountAccessor,
    NamespaceId,
    acme_client_id,
    non_entity_client_id,
)

pyspark_sql = pytest.importorskip("pyspark.sql")
sf = pytest.importorskip("pyspark.sql.functions")

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import SparkSession

pytestmark = pytest.mark.filterwarnings(
    # py4j and PySpark leave sockets to the JVM open until it stops.
    "ignore::ResourceWarning",
    "ignore::DeprecationWarning",
)

UTC = dt.UTC
MONTHS = (dt.date(2025, 1, 1), dt.date(2025, 2, 1))


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    """A local Spark session, shared by the module and stopped after it."""
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("clientid-integration")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def client_ids(n: int, seed: int) -> list[str]:
    """Client IDs of every shape clientid derives, and some non-ASCII."""
    rng = random.Random(seed)
    found = []
    for number in range(n):
        kind = number % 4
        if kind == 0:
            found.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        elif kind == 1:
            found.append(
                non_entity_client_id(("default", f"p{number}"), "root")
            )
        elif kind == 2:
            identifier = AcmeIdentifier(type="dns", value=f"h{number}.test")
            found.append(acme_client_id([identifier]))
        else:
            found.append(f"entité-{number}-ñ-\N{SNOWMAN}")
    return found


def spark_sketch(spark: SparkSession, ids: list[str], lg_k: int) -> bytes:
    """The image Spark's hll_sketch_agg writes for the IDs."""
    frame = spark.createDataFrame([(i,) for i in ids], "client_id STRING")
    (row,) = frame.agg(
        sf.hll_sketch_agg("client_id", lg_k).alias("sketch")
    ).collect()
    return bytes(row["sketch"])


def registers(sketch: HyperLogLog) -> bytes:
    """The sketch's precision, mode and registers or coupons, nothing else."""
    # A union of one marks an HLL-mode sketch out of order and drops its
    # HIP accumulator, which depends on the order the IDs were seen in.
    return sketch.union().to_bytes()


@pytest.mark.parametrize(
    ("n", "lg_k"),
    [
        (5, 12),  # LIST mode
        (300, 12),  # SET mode
        (20_000, 12),  # HLL mode
        (3_000, 10),  # HLL mode, another precision
        (40_000, 14),  # HLL mode, Vault's precision
    ],
)
def test_spark_sketch_loads_with_the_registers_clientid_computes(
    spark: SparkSession, n: int, lg_k: int
) -> None:
    """
    Spark's sketch of some IDs loads with the registers of clientid's own.
    """
    ids = client_ids(n, seed=n)
    own = HyperLogLog(lg_k)
    own.update(ids)

    loaded = HyperLogLog.from_datasketches(spark_sketch(spark, ids, lg_k))
    loaded._check()

    assert loaded.lg_k == lg_k
    assert registers(own) == registers(loaded)


@pytest.mark.parametrize("n", [5, 300, 20_000])
def test_clientid_sketch_gives_spark_the_same_estimate(
    spark: SparkSession, n: int
) -> None:
    """
    Spark's hll_sketch_estimate of clientid's image is clientid's estimate.
    """
    own = HyperLogLog(12)
    own.update(client_ids(n, seed=7))
    frame = spark.createDataFrame(
        [(bytearray(own.to_datasketches()),)], "sketch BINARY"
    )

    (row,) = frame.select(
        sf.hll_sketch_estimate("sketch").alias("estimate")
    ).collect()

    assert round(own.estimate()) == row["estimate"]


def test_clientid_sketches_union_in_spark_as_in_clientid(
    spark: SparkSession,
) -> None:
    """
    Spark's hll_union_agg over clientid's images estimates their union.
    """
    ids = client_ids(30_000, seed=11)
    parts = [HyperLogLog(12) for _ in range(3)]
    for part, start in zip(parts, (0, 10_000, 15_000), strict=True):
        part.update(ids[start : start + 15_000])
    frame = spark.createDataFrame(
        [(bytearray(part.to_datasketches()),) for part in parts],
        "sketch BINARY",
    )

    (row,) = frame.agg(
        sf.hll_union_agg("sketch").alias("union"),
    ).collect()
    union = parts[0].union(*parts[1:])

    assert registers(union) == registers(
        HyperLogLog.from_datasketches(bytes(row["union"]))
    )
    (estimate,) = frame.agg(
        sf.hll_sketch_estimate(sf.hll_union_agg("sketch"))
    ).collect()
    assert round(union.estimate()) == estimate[0]


def events(n: int, seed: int) -> Iterator[tuple[Client, dt.datetime]]:
    """Seeded client events over two months, five namespaces, three types."""
    rng = random.Random(seed)
    pool = []
    for number, client_id in enumerate(client_ids(n // 4, seed=seed)):
        client_type = (
            ClientType.ENTITY,
            ClientType.NON_ENTITY_TOKEN,
            ClientType.ACME,
            ClientType.ENTITY,
        )[number % 4]
        namespace = f"ns{rng.randrange(5)}"
        mount = None if number % 9 == 0 else f"auth_{namespace}_{number % 3}"
        pool.append(
            Client(
                id=ClientId(client_id),
                type=client_type,
                namespace_id=NamespaceId(namespace),
                mount_accessor=None if mount is None else MountAccessor(mount),
            )
        )
    for _ in range(n):
        month = rng.choice(MONTHS)
        at = dt.datetime(month.year, month.month, 1, tzinfo=UTC)
        yield (
            pool[int(len(pool) * rng.random() ** 2)],
            at + dt.timedelta(seconds=rng.randrange(27 * 86_400)),
        )


def within(exact: Count, estimated: Count) -> bool:
    """Whether an exact count lies inside an estimate's bounds."""
    return estimated.lower_bound <= exact.value <= estimated.upper_bound


def test_report_from_spark_sketches_matches_the_exact_report(
    spark: SparkSession,
) -> None:
    """
    A report built from Spark's sketches holds every exact count in bounds.
    """
    exact = ActivityLog(exact_limit=None, retention_months=None)
    rows = []
    for client, at in events(200_000, seed=5):
        exact.record(client, at)
        rows.append(
            (
                at.strftime("%Y-%m"),
                client.namespace_id,
                client.mount_accessor,
                client.type.value,
                client.id,
            )
        )
    frame = spark.createDataFrame(
        rows,
        "month STRING, namespace_id STRING, mount_accessor STRING, "
        "client_type STRING, client_id STRING",
    )
    groups = (
        frame.groupBy("month", "namespace_id", "mount_accessor", "client_type")
        .agg(sf.hll_sketch_agg("client_id", 12).alias("sketch"))
        .collect()
    )
    sketched = ActivityLog(lg_k=12, retention_months=None)
    for group in groups:
        year, month = map(int, group["month"].split("-"))
        accessor = group["mount_accessor"]
        sketched.record_sketch(
            dt.date(year, month, 1),
            namespace_id=NamespaceId(group["namespace_id"]),
            mount_accessor=None
            if accessor is None
            else MountAccessor(accessor),
            client_type=ClientType(group["client_type"]),
            sketch=bytes(group["sketch"]),
        )
    sketched._check()

    want = exact.report(MONTHS[0], MONTHS[-1])
    got = sketched.report(MONTHS[0], MONTHS[-1], std_devs=3)

    assert want.is_exact
    assert not got.is_exact
    assert within(want.distinct.clients, got.distinct.clients)
    assert within(want.total.clients, got.total.clients)
    assert [m.timestamp for m in want.months] == [
        m.timestamp for m in got.months
    ]
    for want_month, got_month in zip(want.months, got.months, strict=True):
        assert within(want_month.counts.clients, got_month.counts.clients)
    got_namespaces = {ns.namespace_id: ns for ns in got.by_namespace}
    assert set(got_namespaces) == {ns.namespace_id for ns in want.by_namespace}
    for namespace in want.by_namespace:
        other = got_namespaces[namespace.namespace_id]
        assert within(namespace.counts.clients, other.counts.clients)
        got_mounts = {m.mount_path: m for m in other.mounts}
        for mount in namespace.mounts:
            assert within(
                mount.counts.clients,
                got_mounts[mount.mount_path].counts.clients,
            )
