"""
Pin the public API's types: mypy --strict checks this file; nobody runs it.

If a change to clientid's signatures breaks a line here, it breaks users'
code too, and needs a deliberate decision (and a changelog entry).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, assert_type

import clientid
from clientid import (
    ActivityLog,
    ActivityReport,
    AuditLogReader,
    Client,
    ClientCounter,
    ClientEvent,
    ClientId,
    ClientType,
    Count,
    CountDifference,
    DistinctCounter,
    EntityId,
    ExactClientSet,
    ExportReader,
    HyperLogLog,
    IdentityStore,
    LoginResult,
    NamespaceId,
    RejectedRecord,
    ReportDifference,
    ResponseFormat,
    Scenario,
    Token,
)
from clientid.errors import ClientIdError, IdentityError

if TYPE_CHECKING:
    from collections.abc import Mapping

token = Token(namespace_id=NamespaceId("root"), policies=("default",))
assert_type(clientid.client_for_token(token), Client | None)
assert_type(clientid.non_entity_client_id(["default"], "root"), ClientId)
assert_type(clientid.sanitize_policies([" Dev "]), tuple[str, ...])
assert_type(clientid.sanitize_policies([], add_default=False), tuple[str, ...])
assert_type(ClientType("entity"), ClientType)

store = IdentityStore()
mount = store.enable_auth("userpass")
login = store.login(mount.accessor, "alice", policies=["dev"])
assert_type(login, LoginResult)
assert_type(login.token, Token)
assert_type(store.client_for_token(login.token), Client | None)

sketch = HyperLogLog(lg_k=14)
sketch.add("client")
assert_type(sketch.estimate(), float)
assert_type(sketch.upper_bound(2), float)
assert_type(sketch.union(HyperLogLog()), HyperLogLog)
assert_type(
    HyperLogLog.from_datasketches(sketch.to_datasketches()), HyperLogLog
)

exact = ExactClientSet(["a", "b"])
assert_type(len(exact), int)
assert_type("a" in exact, bool)

counter = ClientCounter(exact_limit=10)
counter.update(["a", "b"])
assert_type(counter.count(), Count)
assert_type(counter.count().is_exact, bool)
assert_type(ClientCounter.from_bytes(counter.to_bytes()), ClientCounter)

log = ActivityLog()
client = Client(id=ClientId("x"), type=ClientType.ENTITY)
log.record(client, dt.datetime(2025, 1, 2, tzinfo=dt.UTC))
report = log.report(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
assert_type(report, ActivityReport)
response: Mapping[str, object] = report.to_vault_response()

scenario = Scenario().move_mount("auth_x", to="root") | Scenario().drop_types(
    ClientType.ACME
)
assert_type(scenario, Scenario)
assert_type(Scenario.from_json("{}"), Scenario)
what_if = log.report(
    dt.date(2025, 1, 1), dt.date(2025, 1, 31), scenario=scenario
)
difference = report.compare(what_if)
assert_type(difference, ReportDifference)
assert_type(difference.rows[0], CountDifference)
assert_type(difference.rows[0].relative, float | None)
assert_type(difference.to_table(), str)
read_back = ActivityReport.from_vault_response(
    report.to_vault_response(ResponseFormat.VAULT_1_14)
)
assert_type(read_back, ActivityReport)

try:
    store.delete_entity(EntityId("missing"))
except IdentityError as error:
    assert_type(error.rule, str)
    assert_type(error.http_status, int)
except ClientIdError as error:
    assert_type(str(error), str)

reader = AuditLogReader()
event = reader.feed({"type": "request"})
assert_type(event, ClientEvent | None)
for seen in reader.read([]):
    assert_type(seen, ClientEvent)
    log.record_event(seen)
assert_type(reader.feed_line(b"{}"), ClientEvent | None)
assert_type(reader.feed_line("{}"), ClientEvent | None)
for seen in reader.read_lines([b"{}", "{}"]):
    assert_type(seen, ClientEvent)
exports = ExportReader(lenient=True)
assert_type(exports.rejected, tuple[RejectedRecord, ...])
assert_type(exports.rejected_count, int)

counted: DistinctCounter = counter
counted = exact
counted = sketch
assert_type(exact.union(ExactClientSet()), ExactClientSet)
assert_type(counter.union(ClientCounter()), ClientCounter)

# Saved state and text bounds (the clientid command's library side).
assert_type(log.to_bytes(), bytes)
assert_type(ActivityLog.from_bytes(log.to_bytes()), ActivityLog)
assert_type(reader.to_bytes(), bytes)
assert_type(
    AuditLogReader.from_bytes(reader.to_bytes(), lenient=True), AuditLogReader
)
reader.describe(log)
assert_type(log.namespace_for("team-a/"), NamespaceId)
log.report("2025-03", "2025-03-31T23:59:59Z", namespace_id="team-a/")
