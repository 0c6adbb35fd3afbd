"""
Table-driven scenarios of spec/vault-client-counting.md, sections 2-5.

Each row names the spec section or Vault test it comes from.  Where clientid
follows DESIGN section 1 E instead of a Vault 1.14 bug, the row says so and
asserts clientid's behaviour.
"""

from __future__ import annotations

import datetime as dt

import pytest

from clientid import (
    AcmeIdentifier,
    AcmeOrder,
    ActivityLog,
    ActivityReport,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    MountAccessor,
    NamespaceId,
    SecretSyncAssociation,
    Token,
    client_for_acme_order,
    client_for_token,
)

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def at(year: int, month: int, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=UTC)


def entity(
    client_id: str, namespace: str = "root", mount: str | None = "auth_1"
) -> Client:
    return Client(
        id=ClientId(client_id),
        type=ClientType.ENTITY,
        namespace_id=NamespaceId(namespace),
        mount_accessor=None if mount is None else MountAccessor(mount),
    )


def of_type(client_id: str, client_type: ClientType) -> Client:
    return Client(id=ClientId(client_id), type=client_type)


def month_report(
    log: ActivityLog, first: tuple[int, int], last: tuple[int, int]
) -> ActivityReport:
    return log.report(dt.date(*first, 1), dt.date(*last, 1))


# ---------------------------------------------------------------------------
# Dataset D (section 5.1): Vault's TestActivityLog_Export input.
# ---------------------------------------------------------------------------

DATASET_D_NAMESPACES = (
    "root",
    "aaaaa",
    "bbbbb",
    "root",
    "root",
    "ccccc",
    "root",
    "bbbbb",
    "rrrrr",
)
DATASET_D_SEGMENTS = (
    (at(2020, 1), 40, 44, 0),
    (dt.datetime(2020, 8, 15, 12, tzinfo=UTC), 0, 12, 1),
    (dt.datetime(2020, 8, 15, 12, tzinfo=UTC), 13, 19, 2),
    (at(2020, 9), 10, 29, 3),
    (at(2020, 10), 15, 39, 4),
    (at(2020, 10), 15, 39, 5),
    (at(2020, 10), 17, 22, 6),
)


def dataset_d() -> ActivityLog:
    """
    Dataset D: 45 entities in five namespaces over four months.
    """
    log = ActivityLog()
    for when, first, last, timestamp in DATASET_D_SEGMENTS:
        for index in range(first, last + 1):
            log.record(
                entity(
                    f"111122222-3333-4444-5555-{index:012d}",
                    DATASET_D_NAMESPACES[index // 5],
                    f"auth_{index // 5 + 1}",
                ),
                when,
                token_creation_time=EPOCH + dt.timedelta(seconds=timestamp),
            )
    return log


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # Vault's TestActivityLog_Precompute, every range it checks.
        ((2020, 8), (2020, 8), {"root": 10, "aaaaa": 5, "bbbbb": 5}),
        (
            (2020, 8),
            (2020, 9),
            {"root": 15, "aaaaa": 5, "bbbbb": 5, "ccccc": 5},
        ),
        ((2020, 9), (2020, 9), {"root": 10, "bbbbb": 5, "ccccc": 5}),
        (
            (2020, 8),
            (2020, 10),
            {"root": 20, "aaaaa": 5, "bbbbb": 10, "ccccc": 5},
        ),
        ((2020, 9), (2020, 10), {"root": 15, "bbbbb": 10, "ccccc": 5}),
        ((2020, 10), (2020, 10), {"root": 15, "bbbbb": 5, "ccccc": 5}),
    ],
)
def test_precompute_per_namespace_entity_counts(first, last, expected):
    """
    Per-namespace entity counts match TestActivityLog_Precompute (5.3).
    """
    result = month_report(dataset_d(), first, last)

    assert {
        ns.namespace_id: ns.counts.entity_clients.value
        for ns in result.by_namespace
    } == expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # The gauges of TestActivityLog_Precompute: monthly is October,
        # the reporting period is August-October.  In a community build
        # every non-root namespace is "deleted"; so it is here, where the
        # log knows no namespaces.
        (
            (2020, 10),
            (2020, 10),
            {
                "": 15,
                'deleted namespace "bbbbb"': 5,
                'deleted namespace "ccccc"': 5,
            },
        ),
        (
            (2020, 8),
            (2020, 10),
            {
                "": 20,
                'deleted namespace "aaaaa"': 5,
                'deleted namespace "bbbbb"': 10,
                'deleted namespace "ccccc"': 5,
            },
        ),
    ],
)
def test_precompute_gauges_with_deleted_namespace_labels(
    first, last, expected
):
    """
    Gauge values hold, labelled as Vault labels unknown namespaces (4.5).
    """
    result = month_report(dataset_d(), first, last)

    assert {
        ns.namespace_path: ns.counts.clients.value
        for ns in result.by_namespace
    } == expected


def test_dataset_d_new_clients_sum_to_the_distinct_clients():
    """
    New clients per month add up to the range's distinct clients (4.3).
    """
    result = month_report(dataset_d(), (2020, 1), (2020, 11))

    assert [m.new_clients.counts.clients.value for m in result.months] == [
        5,
        0,
        0,
        0,
        0,
        0,
        0,
        20,
        10,
        10,
        0,
    ]
    assert result.distinct.clients.value == 45


# ---------------------------------------------------------------------------
# New clients of the last month (section 5.3,
# Test_ActivityLog_ComputeCurrentMonthForBillingPeriodInternal).
# ---------------------------------------------------------------------------


def billing_period(*, with_secret_syncs: bool) -> ActivityLog:
    """
    Three months of client_0-19, then a month with old and new clients.
    """
    log = ActivityLog()
    for month, (low, high) in enumerate(((0, 9), (5, 14), (10, 19)), start=1):
        for index in range(low, high + 1):
            log.record(entity(f"client_{index}"), at(2024, month))
    if with_secret_syncs:
        for index in range(5):
            log.record(
                of_type(f"sync_{index}", ClientType.SECRET_SYNC), at(2024, 3)
            )
    current = at(2024, 4)
    for index in [*range(8), 20, 21, 22]:
        log.record(entity(f"client_{index}"), current)
    for index in [*range(8, 20), 23, 24, 25, 26]:
        log.record(
            of_type(f"client_{index}", ClientType.NON_ENTITY_TOKEN), current
        )
    if with_secret_syncs:
        for index in range(7):
            log.record(
                of_type(f"sync_{index}", ClientType.SECRET_SYNC), current
            )
    return log


@pytest.mark.parametrize(
    ("with_secret_syncs", "counts", "new"),
    [
        # The 1.14 test: 11 entities (3 new), 16 non-entities (4 new).
        (False, (11, 16, 0), (3, 4, 0)),
        # The 1.18 test adds 7 secret syncs, 2 of them new.
        (True, (11, 16, 7), (3, 4, 2)),
    ],
)
def test_new_clients_of_the_last_month_of_a_range(
    with_secret_syncs, counts, new
):
    """
    Clients seen earlier in the range are not new in its last month.
    """
    result = month_report(
        billing_period(with_secret_syncs=with_secret_syncs),
        (2024, 1),
        (2024, 4),
    )
    april = result.months[3]

    assert (
        april.counts.entity_clients.value,
        april.counts.non_entity_clients.value,
        april.counts.secret_syncs.value,
    ) == counts
    assert (
        april.new_clients.counts.entity_clients.value,
        april.new_clients.counts.non_entity_clients.value,
        april.new_clients.counts.secret_syncs.value,
    ) == new
    assert april.new_clients.counts.is_exact


def test_an_empty_month_has_zero_counts_and_no_new_clients():
    """
    The empty current month of the Vault test counts zero everywhere.
    """
    result = month_report(
        billing_period(with_secret_syncs=False), (2024, 1), (2024, 5)
    )
    may = result.months[4]

    assert may.counts.clients.value == 0
    assert may.new_clients.counts.clients.value == 0
    assert may.namespaces == ()


def test_handle_entity_segment_assigns_new_clients_to_first_months():
    """
    Months of 3, 1 and 3 clients: counts and new clients as Vault's test.
    """
    log = ActivityLog()
    for month, ids in ((1, "abc"), (2, "a"), (3, "ade")):
        for client_id in ids:
            log.record(entity(client_id), at(2024, month))

    result = month_report(log, (2024, 1), (2024, 3))

    assert [m.counts.clients.value for m in result.months] == [3, 1, 3]
    assert [m.new_clients.counts.clients.value for m in result.months] == [
        3,
        0,
        2,
    ]


# ---------------------------------------------------------------------------
# Which records count and how they are attributed (sections 1.3, 2).
# ---------------------------------------------------------------------------


def test_unique_entities_count_once_with_their_first_record():
    """
    TestActivityLog_UniqueEntities: repeats count once; the first wins.
    """
    log = ActivityLog()
    for day in (5, 9, 12):
        log.record(
            entity("e1"),
            at(2024, 2, day),
            token_creation_time=at(2024, 1, day),
        )

    (record,) = log.export(dt.date(2024, 2, 1), dt.date(2024, 2, 1))

    assert month_report(log, (2024, 2), (2024, 2)).distinct.clients.value == 1
    assert record.token_creation_time == at(2024, 1, 5)


def test_wrapping_and_root_tokens_are_never_recorded():
    """
    TestActivityLog_Creation_WrappingTokens: no client, nothing to record.
    """
    log = ActivityLog()
    tokens = [
        Token(policies=("response-wrapping",)),
        Token(policies=("control-group",)),
        Token(policies=("root",)),
        Token(policies=("default",)),
    ]
    for token in tokens:
        client = client_for_token(token)
        if client is not None:
            log.record(client, at(2024, 1))

    result = month_report(log, (2024, 1), (2024, 1))

    assert result.distinct.non_entity_clients.value == 1
    assert result.distinct.clients.value == 1


def test_more_clients_than_a_segment_holds_are_all_counted():
    """
    TestActivityLog_MultipleFragmentsAndSegments: 4,000 > 3,820 per segment.
    """
    log = ActivityLog()
    for index in range(4_000):
        log.record(entity(f"e{index}"), at(2024, 1))

    assert month_report(log, (2024, 1), (2024, 1)).total.clients.value == 4_000
    assert len(log.export(dt.date(2024, 1, 1), dt.date(2024, 1, 1))) == 4_000


@pytest.mark.slow
def test_no_monthly_cap_drops_clients():
    """
    Vault silently drops clients past 706,700 a month; clientid keeps them.
    """
    log = ActivityLog()
    january = at(2024, 1)
    for index in range(706_701):
        log.record(entity(f"e{index}"), january)

    result = month_report(log, (2024, 1), (2024, 1))

    assert result.distinct.clients.value == 706_701
    assert result.is_exact


def acme_order(mount: str, namespace: str, *values: str) -> AcmeOrder:
    return AcmeOrder(
        identifiers=tuple(AcmeIdentifier(type="dns", value=v) for v in values),
        namespace_id=NamespaceId(namespace),
        mount_accessor=MountAccessor(mount),
        issued_at=at(2024, 3, 2),
    )


def test_acme_billing_counts_identifier_sets_not_mounts():
    """
    TestACMEBilling (1.3): +1, +1, +1, +0, +0, +1, +0 as orders arrive.
    """
    orders = [
        acme_order("pki_1", "root", "a.test.com"),
        acme_order("pki_1", "root", "b.test.com"),
        acme_order("pki_1", "root", "a.test.com", "b.test.com"),
        acme_order("pki_1", "root", "b.test.com", "a.test.com"),
        acme_order("pki_2", "root", "a.test.com"),
        acme_order("pki_ns", "ns1", "c.test.com"),
        acme_order("pki_3", "root", "c.test.com"),
    ]
    log = ActivityLog()
    counts = []
    for order in orders:
        log.record(client_for_acme_order(order), order.issued_at)
        counts.append(
            month_report(log, (2024, 3), (2024, 3)).distinct.acme_clients.value
        )

    assert counts == [1, 2, 3, 3, 3, 4, 4]


def test_a_secret_sync_is_a_client_in_every_month_it_is_active():
    """
    The docs' example: created January, deleted September (section 1.4).
    """
    log = ActivityLog()
    log.record_secret_sync(
        SecretSyncAssociation(
            mount_accessor=MountAccessor("kv_1"),
            mount_path="kv1/",
            secret_path="app/config",  # noqa: S106 (a path, not a secret)
            destination="aws-sm/prod",
            created_at=at(2024, 1, 20),
            deleted_at=at(2024, 9, 3),
        )
    )

    result = month_report(log, (2024, 1), (2024, 12))

    assert [m.counts.secret_syncs.value for m in result.months] == [1] * 9 + [
        0
    ] * 3


# ---------------------------------------------------------------------------
# What a total is (section 4.3), and where clientid follows DESIGN E.
# ---------------------------------------------------------------------------


def two_namespace_client() -> ActivityLog:
    log = ActivityLog()
    log.record(entity("e1", "nsA"), at(2024, 1))
    log.record(entity("e1", "nsB"), at(2024, 2))
    return log


def test_a_client_in_two_namespaces_counts_in_each_for_the_total():
    """
    Total sums per-namespace unions; distinct counts the client once.
    """
    result = month_report(two_namespace_client(), (2024, 1), (2024, 2))

    assert result.total.clients.value == 2
    assert result.distinct.clients.value == 1
    assert sum(m.new_clients.counts.clients.value for m in result.months) == 1


def test_new_client_attribution_follows_the_month_record():
    """
    DESIGN E: unlike 1.14's quirk, nsB gets no new client in February.
    """
    result = month_report(two_namespace_client(), (2024, 1), (2024, 2))

    assert result.months[1].new_clients.namespaces == ()


def test_splitting_a_range_counts_returning_clients_twice():
    """
    De-duplication is relative to the queried range (FAQ "skip computation").
    """
    log = ActivityLog()
    for month in (1, 2):
        log.record(entity("e1"), at(2024, month))

    january = month_report(log, (2024, 1), (2024, 1)).distinct.clients.value
    february = month_report(log, (2024, 2), (2024, 2)).distinct.clients.value
    both = month_report(log, (2024, 1), (2024, 2)).distinct.clients.value

    assert (january + february, both) == (2, 1)


def test_a_client_of_past_and_last_months_counts_once():
    """
    DESIGN E: no current-month double counting (the 1.14 bug counts 2).
    """
    log = ActivityLog()
    log.record(entity("e1"), at(2024, 1))
    log.record(entity("e1"), at(2024, 6))

    result = month_report(log, (2024, 1), (2024, 6))

    assert result.total.clients.value == 1
    assert result.by_namespace[0].counts.clients.value == 1


def test_limit_namespaces_does_not_re_add_clients():
    """
    DESIGN E: the limited total is the sum of the kept namespaces, no more.
    """
    log = ActivityLog()
    for index, namespace in enumerate(["a", "a", "a", "b", "b", "c"]):
        log.record(entity(f"e{index}", namespace), at(2024, 6))

    result = month_report(log, (2024, 1), (2024, 6))
    limited = log.report(
        dt.date(2024, 1, 1), dt.date(2024, 6, 1), limit_namespaces=2
    )

    assert result.total.clients.value == 6
    assert limited.total.clients.value == 5


def test_namespace_ties_are_ordered_by_id():
    """
    DESIGN E: equal counts sort by namespace ID (Vault's sort is unstable).
    """
    log = ActivityLog()
    for namespace in ["zz", "mm", "aa"]:
        log.record(entity(f"e-{namespace}", namespace), at(2024, 1))

    result = month_report(log, (2024, 1), (2024, 1))

    assert [ns.namespace_id for ns in result.by_namespace] == [
        "aa",
        "mm",
        "zz",
    ]


# ---------------------------------------------------------------------------
# Labels and merging (section 4.5, handleQuery_normalizedMountPaths).
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mount", "known", "label"),
    [
        ("auth_up", True, "auth/userpass/"),
        ("auth_gone", False, 'deleted mount; accessor "auth_gone"'),
        (None, False, "no mount accessor (pre-1.10 upgrade?)"),
    ],
)
def test_mount_labels(mount, known, label):
    """
    Mounts by path with "/", deleted ones and missing accessors by label.
    """
    log = ActivityLog(
        mounts=[
            AuthMount(
                accessor=MountAccessor("auth_up"),
                type="userpass",
                path="auth/userpass/",
            )
        ]
        if known
        else []
    )
    log.record(entity("e1", mount=mount), at(2024, 1))

    (ns,) = month_report(log, (2024, 1), (2024, 1)).by_namespace

    assert [m.mount_path for m in ns.mounts] == [label]
    assert ns.namespace_path == ""


def test_mounts_with_one_normalised_path_merge():
    """
    auth/foo and auth/foo/ are one mount in the report, as in Vault 1.13+.
    """
    log = ActivityLog(
        mounts=[
            AuthMount(
                accessor=MountAccessor(accessor),
                type="userpass",
                path="auth/foo/",
            )
            for accessor in ("auth_foo_1", "auth_foo_2")
        ]
    )
    log.record(entity("e1", mount="auth_foo_1"), at(2024, 1))
    log.record(entity("e2", mount="auth_foo_2"), at(2024, 1))

    (ns,) = month_report(log, (2024, 1), (2024, 1)).by_namespace

    assert [(m.mount_path, m.counts.clients.value) for m in ns.mounts] == [
        ("auth/foo/", 2)
    ]


def test_placeholder_months_pad_the_vault_response():
    """
    TestModifyResponseMonthsNilAppend: five months without data are nulls.
    """
    log = ActivityLog()
    log.record(entity("e1"), at(2024, 3))

    response = month_report(log, (2024, 1), (2024, 6)).to_vault_response()
    months = response["months"]
    assert isinstance(months, list)

    assert [
        month["counts"] is None for month in months if isinstance(month, dict)
    ] == [True, True, False, True, True, True]


# ---------------------------------------------------------------------------
# Stored-query selection (section 5.2) as a report-range behaviour.
# ---------------------------------------------------------------------------

QUERY_STORE_MONTHS: tuple[tuple[int, int], ...] = (
    (2020, 1),
    (2020, 2),
    (2020, 3),
    (2020, 6),
    (2020, 7),
    (2020, 8),
    (2020, 9),
)


def query_store_log() -> ActivityLog:
    """
    Data in the months Vault's TestQueryStore_TimeRanges stored queries for.
    """
    log = ActivityLog()
    for year, month in QUERY_STORE_MONTHS:
        log.record(entity(f"e-{year}-{month}"), at(year, month, 15))
    return log


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        # Vault answers from the longest stored query (Jun-Sep) and loses
        # January to March; clientid counts every month of the request.
        ((2019, 10, 12), (2020, 10, 12), QUERY_STORE_MONTHS),
        ((2020, 1, 4), (2020, 1, 5), ((2020, 1),)),
        ((2020, 2, 4), (2020, 2, 5), ((2020, 2),)),
        # Vault picks Feb-Mar; clientid covers January too.
        ((2020, 1, 4), (2020, 3, 5), ((2020, 1), (2020, 2), (2020, 3))),
        ((2020, 5, 1), (2020, 5, 31), ()),
        ((2020, 5, 1), (2020, 6, 1), ((2020, 6),)),
        # Vault has no query starting in September; clientid needs none.
        ((2020, 9, 1), (2020, 9, 30), ((2020, 9),)),
        ((2020, 12, 1), (2020, 12, 31), ()),
        ((2020, 6, 1), (2020, 12, 31), QUERY_STORE_MONTHS[3:]),
    ],
)
def test_any_range_is_answered_from_every_month_in_it(start, end, months):
    """
    No stored-query selection: a report covers exactly the requested months.
    """
    result = query_store_log().report(dt.date(*start), dt.date(*end))

    assert (
        tuple(
            (m.timestamp.year, m.timestamp.month)
            for m in result.months
            if m.has_data
        )
        == months
    )
    assert result.start_time == at(start[0], start[1])
    assert result.distinct.clients.value == len(months)


@pytest.mark.parametrize(
    ("retention", "kept_from"),
    [
        # Section 3.5: retention 24 with the newest month May 2024 keeps
        # May 2022 onwards.
        (24, (2022, 5)),
        (48, (2020, 5)),
    ],
)
def test_retention_counts_months_back_from_the_newest(retention, kept_from):
    """
    The month retention_months before the newest is the oldest one kept.
    """
    log = ActivityLog(retention_months=retention)
    for year in range(2019, 2025):
        for month in range(1, 13):
            if (year, month) <= (2024, 5):
                log.record(entity(f"e-{year}-{month}"), at(year, month))

    assert (log.months[0].year, log.months[0].month) == kept_from
