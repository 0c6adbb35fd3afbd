"""
Tests for ActivityReport.from_vault_response, to_vault_response's shapes
and ActivityReport.compare.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from clientid import (
    ActivityLog,
    ActivityReport,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    HyperLogLog,
    MountAccessor,
    Namespace,
    NamespaceId,
    ResponseFormat,
    Scenario,
)
from clientid.errors import InvalidModelError, MalformedRecordError

UTC = dt.UTC
JAN = dt.date(2024, 1, 1)
APR = dt.date(2024, 4, 1)


def client(
    client_id: str,
    namespace: str = "root",
    mount: str | None = "auth_up",
    client_type: ClientType = ClientType.ENTITY,
) -> Client:
    return Client(
        id=ClientId(client_id),
        type=client_type,
        namespace_id=NamespaceId(namespace),
        mount_accessor=None if mount is None else MountAccessor(mount),
    )


def at(month: int, day: int = 2) -> dt.datetime:
    return dt.datetime(2024, month, day, tzinfo=UTC)


def log_of_every_type() -> ActivityLog:
    """
    Four months: data in Feb and Apr only (Jan placeholder, Mar left out).
    """
    log = ActivityLog(
        namespaces=[
            Namespace(
                id=NamespaceId("nsA"), path="a/", parent_id=NamespaceId("root")
            )
        ],
        mounts=[
            AuthMount(
                accessor=MountAccessor("auth_up"),
                type="userpass",
                path="auth/userpass/",
            )
        ],
    )
    log.record(client("e1"), at(2))
    log.record(client("t1", client_type=ClientType.NON_ENTITY_TOKEN), at(2))
    log.record(client("pki-acme.a", "nsA", "pki", ClientType.ACME), at(2))
    log.record(client("s1", "nsA", "kv", ClientType.SECRET_SYNC), at(2))
    log.record(client("e1"), at(4))
    log.record(client("e2", "nsA", None), at(4))
    log.record(client("gone", "nsX", "auth_x"), at(4))
    return log


def written(fmt: ResponseFormat = ResponseFormat.VAULT_1_21) -> Any:
    return log_of_every_type().report(JAN, APR).to_vault_response(fmt)


class TestShapes:
    def test_the_default_shape_is_unchanged(self):
        """
        The default is the 1.18 counts with 1.21's mount_type.
        """
        report = log_of_every_type().report(JAN, APR)

        assert report.to_vault_response() == report.to_vault_response(
            ResponseFormat.VAULT_1_21
        )

    @pytest.mark.parametrize(
        ("fmt", "keys"),
        [
            (
                ResponseFormat.VAULT_1_14,
                [
                    "distinct_entities",
                    "entity_clients",
                    "non_entity_tokens",
                    "non_entity_clients",
                    "clients",
                ],
            ),
            (
                ResponseFormat.VAULT_1_16,
                [
                    "distinct_entities",
                    "entity_clients",
                    "non_entity_tokens",
                    "non_entity_clients",
                    "secret_syncs",
                    "clients",
                ],
            ),
            (
                ResponseFormat.VAULT_1_17,
                [
                    "distinct_entities",
                    "entity_clients",
                    "non_entity_tokens",
                    "non_entity_clients",
                    "secret_syncs",
                    "acme_clients",
                    "clients",
                ],
            ),
            (
                ResponseFormat.VAULT_1_18,
                [
                    "entity_clients",
                    "non_entity_clients",
                    "secret_syncs",
                    "acme_clients",
                    "clients",
                ],
            ),
        ],
    )
    def test_counts_keys_follow_the_version(self, fmt, keys):
        """
        Each shape's counts have that version's keys, in order.
        """
        response = written(fmt)

        assert list(response["total"]) == keys
        assert list(response["months"][1]["counts"]) == keys

    def test_before_1_17_acme_is_inside_non_entity(self):
        """
        1.14 and 1.16 count ACME clients as non-entity clients.
        """
        old = written(ResponseFormat.VAULT_1_16)["total"]
        new = written(ResponseFormat.VAULT_1_18)["total"]

        assert old["non_entity_clients"] == new["non_entity_clients"] + 1
        assert old["clients"] == new["clients"]

    def test_old_names_mirror_the_new_outside_months_and_are_0_inside(self):
        """
        distinct_entities mirrors entity_clients in total, is 0 in months.
        """
        response = written(ResponseFormat.VAULT_1_14)
        month = response["months"][1]

        assert response["total"]["distinct_entities"] == 3
        assert (
            response["by_namespace"][0]["counts"]["non_entity_tokens"]
            == (response["by_namespace"][0]["counts"]["non_entity_clients"])
        )
        assert month["counts"]["distinct_entities"] == 0
        assert month["namespaces"][0]["counts"]["non_entity_tokens"] == 0
        assert month["new_clients"]["counts"]["distinct_entities"] == 0

    def test_mount_type_only_from_1_21(self):
        """
        Only the 1.21 shape gives mounts a mount_type.
        """
        old = written(ResponseFormat.VAULT_1_18)["by_namespace"][0]["mounts"]
        new = written()["by_namespace"][0]["mounts"]

        assert all("mount_type" not in mount for mount in old)
        assert all("mount_type" in mount for mount in new)

    def test_a_format_that_is_not_one_is_refused(self):
        """
        The format is a ResponseFormat, not its string.
        """
        report = log_of_every_type().report(JAN, APR)

        with pytest.raises(InvalidModelError, match="response_format"):
            report.to_vault_response("1.18")  # type: ignore[arg-type]


class TestRoundTrip:
    @pytest.mark.parametrize("fmt", list(ResponseFormat))
    def test_reading_what_the_writer_wrote_writes_it_again(self, fmt):
        """
        write(read(write(report))) == write(report), for every shape.
        """
        response = written(fmt)
        through_json = json.loads(json.dumps(response))

        report = ActivityReport.from_vault_response(through_json)

        assert report.to_vault_response(fmt) == response

    @pytest.mark.parametrize("fmt", list(ResponseFormat))
    def test_a_read_report_compares_equal_to_the_original(self, fmt):
        """
        Compared with the report it was written from, nothing differs
        (1.14 and 1.16 fold ACME into non-entity: only that differs).
        """
        original = log_of_every_type().report(JAN, APR)

        read = ActivityReport.from_vault_response(
            original.to_vault_response(fmt)
        )
        changed = {
            (row.client_type, row.difference)
            for row in original.compare(read).changed
        }

        if fmt is ResponseFormat.VAULT_1_14:
            # 1.14 has no secret_syncs key either (clients still has them).
            assert changed == {
                (ClientType.ACME, -1),
                (ClientType.NON_ENTITY_TOKEN, 1),
                (ClientType.SECRET_SYNC, -1),
            }
        elif fmt is ResponseFormat.VAULT_1_16:
            assert changed == {
                (ClientType.ACME, -1),
                (ClientType.NON_ENTITY_TOKEN, 1),
            }
        else:
            assert changed == set()

    def test_left_out_months_come_back_with_zero_counts(self):
        """
        Every month of the range is listed, as a report lists them.
        """
        report = ActivityReport.from_vault_response(written())

        assert [m.timestamp.month for m in report.months] == [1, 2, 3, 4]
        assert not report.months[2].has_data
        assert report.months[2].counts.clients.value == 0

    def test_distinct_is_the_sum_of_new_clients(self):
        """
        Vault has no distinct count; the months' new clients stand in.
        """
        report = ActivityReport.from_vault_response(written())

        assert report.distinct.clients.value == 6

    def test_the_envelope_is_accepted(self):
        """
        {"data": {...}} reads like its data.
        """
        data = written()

        assert ActivityReport.from_vault_response(
            {"request_id": "x", "data": data}
        ) == ActivityReport.from_vault_response(data)

    def test_the_docs_path_key_and_a_local_midnight_month_read(self):
        """
        Mounts keyed "path" and a month stamped at local midnight read.
        """
        counts = {"entity_clients": 1, "non_entity_clients": 0, "clients": 1}
        response = {
            "start_time": "2022-04-01T04:00:00Z",
            "end_time": "2022-04-30T23:59:59Z",
            "total": counts,
            "by_namespace": [
                {
                    "namespace_id": "root",
                    "namespace_path": "",
                    "counts": counts,
                    "mounts": [{"path": "auth/up/", "counts": counts}],
                }
            ],
            "months": [
                {
                    "timestamp": "2022-04-01T04:00:00Z",
                    "counts": counts,
                    "namespaces": None,
                    "new_clients": None,
                }
            ],
        }

        report = ActivityReport.from_vault_response(response)

        assert report.by_namespace[0].mounts[0].mount_path == "auth/up/"
        assert report.start_time == dt.datetime(2022, 4, 1, tzinfo=UTC)
        assert report.months[0].counts.entity_clients.value == 1
        assert report.is_exact


#: The compact 1.18 example of spec/vault-formats-and-ecosystem.md §3
#: (invented numbers; month namespaces abbreviated to empty lists).
SPEC_EXAMPLE = (
    '{"data":{"start_time":"2025-01-01T00:00:00Z","end_time":"2025-02-2'
    '8T23:59:59Z","total":{"entity_clients":3,"non_entity_clients":1,"s'
    'ecret_syncs":0,"acme_clients":0,"clients":4},"by_namespace":[{"nam'
    'espace_id":"Xq2bK","namespace_path":"team-a/","counts":{"entity_cl'
    'ients":3,"non_entity_clients":0,"secret_syncs":0,"acme_clients":0,'
    '"clients":3},"mounts":[{"mount_path":"auth/userpass/","counts":{"e'
    'ntity_clients":3,"non_entity_clients":0,"secret_syncs":0,"acme_cli'
    'ents":0,"clients":3}}]},{"namespace_id":"root","namespace_path":""'
    ',"counts":{"entity_clients":0,"non_entity_clients":1,"secret_syncs'
    '":0,"acme_clients":0,"clients":1},"mounts":[{"mount_path":"auth/to'
    'ken/","counts":{"entity_clients":0,"non_entity_clients":1,"secret_'
    'syncs":0,"acme_clients":0,"clients":1}}]}],"months":[{"timestamp":'
    '"2025-01-01T00:00:00Z","counts":null,"namespaces":null,"new_client'
    's":null},{"timestamp":"2025-02-01T00:00:00Z","counts":{"entity_cli'
    'ents":3,"non_entity_clients":1,"secret_syncs":0,"acme_clients":0,"'
    'clients":4},"namespaces":[],"new_clients":{"counts":{"entity_clien'
    'ts":3,"non_entity_clients":1,"secret_syncs":0,"acme_clients":0,"cl'
    'ients":4},"namespaces":[]}}]}}'
)


def test_the_specs_example_response_reads():
    """
    The spec's 1.18 example: totals, namespaces, mounts and months.
    """
    report = ActivityReport.from_vault_response(json.loads(SPEC_EXAMPLE))

    assert report.total.clients.value == 4
    assert [
        (ns.namespace_path, ns.counts.clients.value)
        for ns in report.by_namespace
    ] == [("team-a/", 3), ("", 1)]
    assert report.by_namespace[1].mounts[0].mount_path == "auth/token/"
    assert [m.counts.clients.value for m in report.months] == [0, 4]
    assert report.months[1].new_clients.counts.entity_clients.value == 3
    assert report.distinct.clients.value == 4


def broken(change: Any) -> Any:
    response = copy.deepcopy(written())
    change(response)
    return response


def _set(path: list[Any], value: object) -> Any:
    def change(response):
        target = response
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Any:
    def change(response):
        target = response
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


class TestMalformed:
    @pytest.mark.parametrize(
        ("response", "field"),
        [
            ([], "$"),
            ({"data": []}, "data"),
            (broken(_delete(["start_time"])), "start_time"),
            (broken(_set(["start_time"], "yesterday")), "start_time"),
            # A time without an offset is not RFC 3339.
            (broken(_set(["end_time"], "2024-04-30T23:59:59")), "end_time"),
            (broken(_set(["end_time"], "2023-12-31T23:59:59Z")), "end_time"),
            (broken(_set(["total"], None)), "total"),
            (broken(_delete(["total", "clients"])), "total.clients"),
            (
                broken(_delete(["total", "entity_clients"])),
                "total.entity_clients",
            ),
            (broken(_set(["total", "clients"], -1)), "total.clients"),
            (broken(_set(["total", "clients"], True)), "total.clients"),
            (
                broken(_set(["total", "acme_clients"], "1")),
                "total.acme_clients",
            ),
            (broken(_set(["by_namespace"], {})), "by_namespace"),
            (broken(_set(["by_namespace", 0], 3)), "by_namespace[0]"),
            (
                broken(_set(["by_namespace", 0, "namespace_id"], "")),
                "by_namespace[0].namespace_id",
            ),
            (
                broken(_set(["by_namespace", 0, "namespace_path"], None)),
                "by_namespace[0].namespace_path",
            ),
            (
                broken(_set(["by_namespace", 0, "mounts"], "x")),
                "by_namespace[0].mounts",
            ),
            (
                broken(
                    _delete(["by_namespace", 0, "mounts", 0, "mount_path"])
                ),
                "by_namespace[0].mounts[0].mount_path",
            ),
            (
                broken(
                    _set(["by_namespace", 0, "mounts", 0, "mount_type"], 1)
                ),
                "by_namespace[0].mounts[0].mount_type",
            ),
            (broken(_set(["months"], None)), "months"),
            (
                broken(_set(["months", 1, "timestamp"], 0)),
                "months[1].timestamp",
            ),
            (
                broken(
                    _set(["months", 1, "timestamp"], "2025-01-01T00:00:00Z")
                ),
                "months[1].timestamp",
            ),
            (
                broken(
                    _set(["months", 2, "timestamp"], "2024-02-01T00:00:00Z")
                ),
                "months[2].timestamp",
            ),
            (
                broken(_set(["months", 1, "counts", "clients"], None)),
                "months[1].counts.clients",
            ),
            (
                broken(_set(["months", 1, "new_clients"], [])),
                "months[1].new_clients",
            ),
            (
                broken(
                    _set(
                        ["months", 1, "new_clients", "counts", "clients"], 1.5
                    )
                ),
                "months[1].new_clients.counts.clients",
            ),
            (
                broken(
                    _set(
                        [
                            "months",
                            1,
                            "new_clients",
                            "namespaces",
                            0,
                            "counts",
                        ],
                        None,
                    )
                ),
                "months[1].new_clients.namespaces[0].counts",
            ),
            (
                {"data": broken(_set(["total", "clients"], "x"))},
                "data.total.clients",
            ),
            # Offsets that move a time off the calendar in UTC.
            (
                broken(_set(["start_time"], "0001-01-01T00:00:00+01:00")),
                "start_time",
            ),
            (
                broken(_set(["end_time"], "9999-12-31T23:59:59-01:00")),
                "end_time",
            ),
            # A lone surrogate cannot be written out again.
            (
                broken(_set(["by_namespace", 0, "namespace_path"], "\ud800")),
                "by_namespace[0].namespace_path",
            ),
            # A period far longer than any retention: refused, not built
            # month by month.
            (
                broken(_set(["end_time"], "9999-11-30T23:59:59Z")),
                "end_time",
            ),
        ],
    )
    def test_malformed_responses_name_the_json_path(self, response, field):
        """
        Each malformed response raises MalformedRecordError at its path.
        """
        with pytest.raises(MalformedRecordError) as info:
            ActivityReport.from_vault_response(response)

        assert info.value.field == field
        assert str(info.value).startswith(field)


def test_a_period_ending_in_the_calendars_last_month_reads():
    """December 9999 is a month like any other; its end is the last second."""
    response = {
        "start_time": "9999-11-01T00:00:00Z",
        "end_time": "9999-12-31T23:59:59Z",
        "total": {
            "clients": 0,
            "entity_clients": 0,
            "non_entity_clients": 0,
        },
        "by_namespace": [],
        "months": [],
    }

    report = ActivityReport.from_vault_response(response)

    assert report.end_time == dt.datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC
    )
    assert [m.timestamp.month for m in report.months] == [11, 12]


class TestCompare:
    def test_a_report_equals_itself(self):
        """
        Comparing a report with itself changes nothing.
        """
        report = log_of_every_type().report(JAN, APR)

        difference = report.compare(report)

        assert difference.is_equal
        assert difference.rows
        assert all(row.relative == 0.0 for row in difference.rows)
        assert "(no differences)" in difference.to_table()

    def test_differences_are_other_minus_this_with_relative(self):
        """
        Dropping secret syncs: -1 of 6 in total, -100 % in their row.
        """
        log = log_of_every_type()
        base = log.report(JAN, APR)
        what_if = log.report(
            JAN, APR, scenario=Scenario().drop_types(ClientType.SECRET_SYNC)
        )

        changed = base.compare(what_if).changed
        total = [
            row
            for row in changed
            if row.month is None
            and row.namespace_id is None
            and row.client_type is None
        ]

        assert len(total) == 1
        assert (total[0].this.value, total[0].other.value) == (6, 5)
        assert total[0].difference == -1
        assert total[0].relative == pytest.approx(-1 / 6)
        assert {row.client_type for row in changed} == {
            None,
            ClientType.SECRET_SYNC,
        }

    def test_entries_on_one_side_only_compare_with_zero(self):
        """
        A namespace only the other report has: this is 0, relative None.
        """
        log = log_of_every_type()
        base = log.report(
            JAN, APR, scenario=Scenario().delete_namespace("nsA")
        )
        full = log.report(JAN, APR)

        rows = [
            row
            for row in base.compare(full).changed
            if row.namespace_id == "nsA"
            and row.month is None
            and row.mount_path is None
            and row.client_type is None
        ]

        assert len(rows) == 1
        assert rows[0].this.value == 0
        assert rows[0].relative is None
        assert rows[0].namespace_path == "a/"

    def test_estimates_are_flagged(self):
        """
        A count from a sketched month marks its row as an estimate.
        """
        log = log_of_every_type()
        sketch = HyperLogLog(10)
        sketch.update(["x1", "x2"])
        log.record_sketch(
            dt.date(2024, 3, 1),
            namespace_id=NamespaceId("root"),
            mount_accessor=MountAccessor("auth_up"),
            client_type=ClientType.ENTITY,
            sketch=sketch,
        )
        exact = log_of_every_type().report(JAN, APR)

        rows = exact.compare(log.report(JAN, APR)).changed

        assert rows
        assert all(row.is_estimate for row in rows)
        assert all(
            line.endswith("~")
            for line in log.report(JAN, APR)
            .compare(exact)
            .to_table()
            .splitlines()[1:]
        )

    def test_the_table_lists_changed_rows_aligned(self):
        """
        One header, one line per changed row, columns aligned.
        """
        log = log_of_every_type()
        base = log.report(JAN, APR)
        what_if = log.report(
            JAN, APR, scenario=Scenario().drop_types(ClientType.SECRET_SYNC)
        )

        table = base.compare(what_if).to_table()
        lines = table.splitlines()

        assert lines[0].split() == [
            "month",
            "namespace",
            "mount",
            "type",
            "this",
            "other",
            "diff",
            "rel",
        ]
        assert len(lines) == 1 + len(base.compare(what_if).changed)
        assert lines[1].split() == [
            "all",
            "*",
            "*",
            "clients",
            "6",
            "5",
            "-1",
            "-16.7%",
        ]
        assert any("2024-02 +new" in line for line in lines)
        assert any("a/" in line and "kv" in line for line in lines)

    def test_the_count_columns_can_be_named(self):
        """
        labels= names the two count columns.
        """
        report = log_of_every_type().report(JAN, APR)

        table = report.compare(report).to_table(labels=("vault", "clientid"))

        assert table.splitlines()[0].split()[4:6] == ["vault", "clientid"]

    def test_the_full_table_has_every_row(self):
        """
        changed_only=False renders every row.
        """
        report = log_of_every_type().report(JAN, APR)
        difference = report.compare(report)

        lines = difference.to_table(changed_only=False).splitlines()

        assert len(lines) == 1 + len(difference.rows)
        assert any("[root]" in line for line in lines)

    def test_months_only_one_report_has_compare_with_zero(self):
        """
        A longer range's extra month is compared with nothing.
        """
        log = log_of_every_type()
        short = log.report(JAN, dt.date(2024, 3, 1))
        long = log.report(JAN, APR)

        april = [
            row
            for row in short.compare(long).changed
            if row.month == dt.datetime(2024, 4, 1, tzinfo=UTC)
            and row.namespace_id is None
            and row.client_type is None
            and not row.new_clients
        ]

        assert [(r.this.value, r.other.value) for r in april] == [(0, 3)]

    def test_comparing_with_something_else_is_refused(self):
        """
        compare takes an ActivityReport.
        """
        report = log_of_every_type().report(JAN, APR)

        with pytest.raises(InvalidModelError, match="other"):
            report.compare({})  # type: ignore[arg-type]
