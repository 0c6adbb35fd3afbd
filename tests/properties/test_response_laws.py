"""
Laws of Vault's activity response: what clientid writes, it reads back.
"""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from clientid import (
    ActivityLog,
    ActivityReport,
    Client,
    ClientId,
    ClientType,
    MountAccessor,
    Namespace,
    NamespaceId,
    ResponseFormat,
)

UTC = dt.UTC
KNOWN = (
    Namespace(id=NamespaceId("n1"), path="a/", parent_id=NamespaceId("root")),
)
clients = st.builds(
    Client,
    id=st.text(alphabet="abcde", min_size=1, max_size=2).map(ClientId),
    type=st.sampled_from(ClientType),
    namespace_id=st.sampled_from(["root", "n1", "n3"]).map(NamespaceId),
    mount_accessor=st.sampled_from([None, "m1", "m2"]).map(
        lambda m: None if m is None else MountAccessor(m)
    ),
)
events = st.lists(
    st.tuples(clients, st.integers(min_value=0, max_value=4)), max_size=30
)


def report_of(recorded) -> ActivityReport:
    log = ActivityLog(namespaces=KNOWN)
    for client, month in recorded:
        log.record(client, dt.datetime(2024, month + 1, 3, tzinfo=UTC))
    return log.report(dt.date(2024, 1, 1), dt.date(2024, 5, 1))


class TestRoundTrip:
    """
    The response is Vault's ``data`` object (spec §4.6); each version's
    shape is read back into the same report.
    """

    @given(events, st.sampled_from(ResponseFormat))
    def test_read_then_write_gives_the_same_json(self, recorded, fmt):
        written = json.loads(
            json.dumps(report_of(recorded).to_vault_response(fmt))
        )

        read = ActivityReport.from_vault_response(written)

        assert read.to_vault_response(fmt) == written

    @given(events)
    def test_the_1_18_shape_loses_no_compared_count(self, recorded):
        report = report_of(recorded)

        read = ActivityReport.from_vault_response(
            report.to_vault_response(ResponseFormat.VAULT_1_18)
        )

        assert report.compare(read).is_equal
        assert read.total == report.total
