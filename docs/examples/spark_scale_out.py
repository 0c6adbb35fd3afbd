"""
Count clients on Spark and report them with clientid, end to end.

Run it with PySpark 3.5 or later and Java 17 installed::

    python docs/examples/spark_scale_out.py [--events N] [--seed S]

What it does (see docs/scale-out.md):

1. generate seeded Vault activity records (the export format) and normalise
   each one with clientid's :class:`~clientid.ExportReader` into a row
   ``(month, namespace_id, mount_accessor, client_type, client_id)``,
   written as CSV; the same events also go into a single-machine, exact
   :class:`~clientid.ActivityLog`, for comparison;
2. on Spark (local mode), aggregate the rows with ``hll_sketch_agg`` per
   month, namespace, mount and client type, and with ``hll_union_agg`` over
   every group of a month and of the whole range;
3. bring the binary sketches back and feed them to a second log with
   :meth:`~clientid.ActivityLog.record_sketch`;
4. print the report built from Spark's sketches beside the exact one.

A few entity clients are used in two namespaces in one month.  The exact
log attributes each to its first record; Spark's sketches cannot, so those
clients count in both namespaces: ``total`` and the month counts (sums over
namespaces, as Vault adds them) come out a little higher than the exact
report's, while ``distinct`` (a union) does not.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import SparkSession
from pyspark.sql import functions as sf

from clientid import (
    AcmeIdentifier,
    ActivityLog,
    ActivityReport,
    AuthMount,
    ClientCounts,
    ClientType,
    Count,
    ExportReader,
    MountAccessor,
    Namespace,
    NamespaceId,
    acme_client_id,
    non_entity_client_id,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Precision of the sketches, on Spark and in clientid (Vault uses 14).
LG_K = 14
#: Confidence of the printed bounds, in standard deviations.
STD_DEVS = 2
#: The months the generated activity falls in.
MONTHS = (dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1))
#: The client types generated, with their weights.
TYPES = (
    (ClientType.ENTITY, 0.75),
    (ClientType.NON_ENTITY_TOKEN, 0.20),
    (ClientType.ACME, 0.05),
)
#: Share of entity clients that are also used in a second namespace.
TRAVELLERS = 0.03
ROW_SCHEMA = (
    "month STRING, namespace_id STRING, mount_accessor STRING, "
    "client_type STRING, client_id STRING"
)


def build_namespaces() -> tuple[Namespace, ...]:
    """Return root and seven child namespaces."""
    children = tuple(
        Namespace(
            id=NamespaceId(f"NS{n:03d}"),
            path=f"team{n}/",
            parent_id=NamespaceId("root"),
        )
        for n in range(1, 8)
    )
    return (Namespace.root(), *children)


def build_mounts(namespaces: tuple[Namespace, ...]) -> tuple[AuthMount, ...]:
    """Return, per namespace, two auth mounts and a PKI mount."""
    mounts = []
    for namespace in namespaces:
        suffix = namespace.id.lower()
        for mount_type, path in (
            ("userpass", "userpass/"),
            ("approle", "approle/"),
            ("pki", "pki/"),
        ):
            mounts.append(
                AuthMount(
                    accessor=MountAccessor(f"auth_{mount_type}_{suffix}"),
                    type=mount_type,
                    path=path,
                    namespace_id=namespace.id,
                )
            )
    return tuple(mounts)


def generate_records(
    events: int, seed: int, namespaces: tuple[Namespace, ...]
) -> Iterator[dict[str, object]]:
    """
    Yield seeded activity records (Vault's export format, Unix seconds).

    A pool of ``events // 8`` clients, each with a home namespace and
    mount; some clients are used far more than others.
    """
    rng = random.Random(seed)  # noqa: S311 (seeded sample data)
    weights = [len(namespaces) - i for i in range(len(namespaces))]
    homes = []
    for number in range(max(1, events // 8)):
        (client_type,) = rng.choices(
            [t for t, _ in TYPES], [w for _, w in TYPES]
        )
        (namespace,) = rng.choices(namespaces, weights)
        if client_type is ClientType.ENTITY:
            client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            mount = rng.choice(("userpass", "approle"))
        elif client_type is ClientType.NON_ENTITY_TOKEN:
            policies = ("default", f"app-{number}")
            client_id = non_entity_client_id(policies, namespace.id)
            mount = "approle"
        else:
            identifier = AcmeIdentifier(
                type="dns", value=f"host{number}.example.com"
            )
            client_id = acme_client_id([identifier])
            mount = "pki"
        home = (namespace.id, f"auth_{mount}_{namespace.id.lower()}")
        away = None
        if client_type is ClientType.ENTITY and rng.random() < TRAVELLERS:
            other = rng.choice(namespaces)
            if other.id != namespace.id:
                away = (other.id, f"auth_userpass_{other.id.lower()}")
        homes.append((client_id, client_type.value, home, away))
    starts = [
        int(dt.datetime(m.year, m.month, 1, tzinfo=dt.UTC).timestamp())
        for m in (*MONTHS, dt.date(2025, 4, 1))
    ]
    for _ in range(events):
        client_id, type_text, home, away = homes[
            int(len(homes) * rng.random() ** 2)
        ]
        month = rng.randrange(len(MONTHS))
        at = rng.randrange(starts[month], starts[month + 1])
        namespace_id, accessor = (
            away if away is not None and rng.random() < 0.5 else home  # noqa: PLR2004
        )
        yield {
            "client_id": client_id,
            "client_type": type_text,
            "namespace_id": namespace_id,
            "mount_accessor": accessor,
            "client_first_used_time": at,
        }


def normalise(
    records: Iterator[dict[str, object]], rows_path: Path, exact: ActivityLog
) -> int:
    """
    Write each record's row to *rows_path*; record it in *exact* too.

    Returns the number of rows written.
    """
    reader = ExportReader()
    written = 0
    with rows_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for event in reader.read(records):
            client = event.client
            writer.writerow(
                (
                    event.at.strftime("%Y-%m"),
                    client.namespace_id,
                    client.mount_accessor or "",
                    client.type.value,
                    client.id,
                )
            )
            exact.record_event(event)
            written += 1
    return written


def aggregate_on_spark(
    spark: SparkSession, rows_path: Path
) -> tuple[list[tuple[str, str, str | None, str, bytes]], dict[str, int]]:
    """
    Sketch each group's clients on Spark; union the groups of each month.

    Returns the sketches (month, namespace, mount, type, image) and
    Spark's own distinct estimates per month and over the range (``"*"``).
    """
    rows = spark.read.csv(str(rows_path), schema=ROW_SCHEMA)
    groups = (
        rows.groupBy("month", "namespace_id", "mount_accessor", "client_type")
        .agg(sf.hll_sketch_agg("client_id", LG_K).alias("sketch"))
        .cache()
    )
    sketches = [
        (
            row["month"],
            row["namespace_id"],
            row["mount_accessor"],
            row["client_type"],
            bytes(row["sketch"]),
        )
        for row in groups.collect()
    ]
    distinct = {
        row["month"]: row["distinct"]
        for row in groups.groupBy("month")
        .agg(
            sf.hll_sketch_estimate(sf.hll_union_agg("sketch")).alias(
                "distinct"
            )
        )
        .collect()
    }
    (overall,) = groups.agg(
        sf.hll_sketch_estimate(sf.hll_union_agg("sketch")).alias("distinct")
    ).collect()
    distinct["*"] = overall["distinct"]
    groups.unpersist()
    return sketches, distinct


def log_from_sketches(
    sketches: list[tuple[str, str, str | None, str, bytes]],
    namespaces: tuple[Namespace, ...],
    mounts: tuple[AuthMount, ...],
) -> ActivityLog:
    """Build an activity log from Spark's per-group sketches."""
    log = ActivityLog(
        namespaces=namespaces,
        mounts=mounts,
        retention_months=None,
        lg_k=LG_K,
    )
    for month, namespace_id, accessor, type_text, image in sorted(
        sketches, key=lambda s: (s[0], s[1], s[2] or "", s[3])
    ):
        year, number = map(int, month.split("-"))
        log.record_sketch(
            dt.date(year, number, 1),
            namespace_id=NamespaceId(namespace_id),
            mount_accessor=MountAccessor(accessor) if accessor else None,
            client_type=ClientType(type_text),
            sketch=image,
        )
    return log


def _show(count: Count) -> str:
    if count.is_exact:
        return f"{count.value:,}"
    return f"{count.value:,} [{count.lower_bound:,}, {count.upper_bound:,}]"


def _line(label: str, exact: Count, estimated: Count, extra: str = "") -> str:
    inside = estimated.lower_bound <= exact.value <= estimated.upper_bound
    mark = "inside" if inside else "OUTSIDE"
    return (
        f"{label:<32} {_show(exact):>12}   {_show(estimated):<34} "
        f"{mark:<8}{extra}"
    )


def _types(counts: ClientCounts) -> list[tuple[str, Count]]:
    return [
        ("entity", counts.entity_clients),
        ("non-entity", counts.non_entity_clients),
        ("acme", counts.acme_clients),
        ("clients", counts.clients),
    ]


def print_side_by_side(
    exact: ActivityReport, sketched: ActivityReport, spark: dict[str, int]
) -> None:
    """Print the exact report beside the one built from Spark's sketches."""
    heading = f"from Spark sketches (±{STD_DEVS} std devs)"
    print(f"{'':<32} {'exact':>12}   {heading:<34} exact inside bounds?")
    for label, left, right in (
        ("distinct", exact.distinct, sketched.distinct),
        ("total (Vault's sum)", exact.total, sketched.total),
    ):
        for (kind, exact_count), (_, estimated) in zip(
            _types(left), _types(right), strict=True
        ):
            extra = ""
            if label == "distinct" and kind == "clients":
                extra = f"  (Spark hll_union_agg: {spark['*']:,})"
            print(_line(f"{label}: {kind}", exact_count, estimated, extra))
    for exact_month, sketched_month in zip(
        exact.months, sketched.months, strict=True
    ):
        month = exact_month.timestamp.strftime("%Y-%m")
        extra = f"  (Spark hll_union_agg: {spark.get(month, 0):,})"
        print(
            _line(
                f"month {month}: clients",
                exact_month.counts.clients,
                sketched_month.counts.clients,
                extra,
            )
        )
    sketched_by_id = {ns.namespace_id: ns for ns in sketched.by_namespace}
    for namespace in exact.by_namespace:
        other = sketched_by_id[namespace.namespace_id]
        label = f"namespace {namespace.namespace_path or '(root)'}"
        print(_line(label, namespace.counts.clients, other.counts.clients))
    print(
        "\nSome entity clients were used in two namespaces in one month."
        "\nThe exact log counts each once, where its first record was;"
        "\nthe sketches count it in both groups, so month counts, total and"
        "\nnamespace counts may lie above the exact ones (OUTSIDE above);"
        "\ndistinct, a union of all sketches, is not affected."
    )


def main() -> None:
    """Run the example."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    namespaces = build_namespaces()
    mounts = build_mounts(namespaces)
    exact = ActivityLog(
        namespaces=namespaces,
        mounts=mounts,
        retention_months=None,
        exact_limit=None,
    )
    with tempfile.TemporaryDirectory() as scratch:
        rows_path = Path(scratch) / "rows.csv"
        started = time.perf_counter()
        written = normalise(
            generate_records(args.events, args.seed, namespaces),
            rows_path,
            exact,
        )
        normalised = time.perf_counter()
        print(
            f"normalised {written:,} events into rows "
            f"in {normalised - started:.1f} s"
        )
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("clientid-scale-out")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            sketches, spark_distinct = aggregate_on_spark(spark, rows_path)
        finally:
            spark.stop()
        aggregated = time.perf_counter()
        print(
            f"Spark sketched {len(sketches):,} groups "
            f"in {aggregated - normalised:.1f} s"
        )
    sketched = log_from_sketches(sketches, namespaces, mounts)
    first, last = MONTHS[0], MONTHS[-1]
    exact_report = exact.report(first, last, std_devs=STD_DEVS)
    sketch_report = sketched.report(first, last, std_devs=STD_DEVS)
    print(
        f"reports built in {time.perf_counter() - aggregated:.1f} s; "
        f"exact: {exact_report.is_exact}, "
        f"from sketches: {sketch_report.is_exact}\n"
    )
    print_side_by_side(exact_report, sketch_report, spark_distinct)


if __name__ == "__main__":
    main()
