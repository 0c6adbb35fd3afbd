"""
Saving and loading state: the activity log's and the audit reader's images,
the reader handing what it learnt to the log, and report bounds as text.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests import strategies as s

from clientid import (
    ActivityLog,
    AuditLogReader,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    HyperLogLog,
    MountAccessor,
    Namespace,
    NamespaceId,
)
from clientid.errors import (
    DecodeError,
    InvalidModelError,
    UnsupportedFormatError,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "data" / "sample-audit-log.jsonl"
UTC = dt.UTC

times = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001 (naive bounds)
    max_value=dt.datetime(2025, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def _client(name: str, namespace: str) -> Client:
    return Client(
        id=ClientId(name),
        type=ClientType.ENTITY,
        namespace_id=NamespaceId(namespace),
    )


def _sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def _whole(log: ActivityLog):
    return log.report(log.months[0], log.months[-1])


def _log_with_a_sketch(log: ActivityLog, clients: int) -> ActivityLog:
    """*log* with a sketch of *clients* root clients recorded for March."""
    sketch = HyperLogLog(12)
    sketch.update(f"client-{n}" for n in range(clients))
    log.record_sketch(
        dt.date(2025, 3, 1),
        namespace_id=NamespaceId("root"),
        mount_accessor=None,
        client_type=ClientType.ENTITY,
        sketch=sketch,
    )
    return log


class TestActivityLogImage:
    """
    ``ActivityLog.to_bytes()`` and ``from_bytes()``.
    """

    @settings(max_examples=40)
    @given(
        records=st.lists(st.tuples(s.clients, times), max_size=30),
        exact_limit=st.none() | st.integers(1, 8),
        retention=st.none() | st.integers(1, 30),
    )
    def test_a_loaded_log_reports_and_saves_as_the_original(
        self, records, exact_limit, retention
    ):
        log = ActivityLog(
            exact_limit=exact_limit,
            retention_months=retention,
            lg_k=4,
            namespaces=[
                Namespace(
                    id=NamespaceId("ns1"),
                    path="a/",
                    parent_id=NamespaceId("root"),
                )
            ],
            mounts=[
                AuthMount(
                    accessor=MountAccessor("auth_x"),
                    type="userpass",
                    path="auth/x/",
                )
            ],
        )
        for client, at in records:
            log.record(client, at)
        image = log.to_bytes()

        loaded = ActivityLog.from_bytes(image)

        loaded._check()
        assert loaded.to_bytes() == image
        assert loaded.months == log.months
        assert loaded.discarded_records == log.discarded_records
        if log.months:
            assert _whole(loaded) == _whole(log)
        # Both go on recording alike.
        late = Client(
            id=ClientId("late"),
            type=ClientType.ENTITY,
            namespace_id=NamespaceId("root"),
        )
        at = dt.datetime(2026, 1, 1, tzinfo=UTC)
        log.record(late, at)
        loaded.record(late, at)
        assert loaded.to_bytes() == log.to_bytes()

    def test_sketches_survive_the_round_trip(self):
        log = _log_with_a_sketch(ActivityLog(exact_limit=2), 500)

        loaded = ActivityLog.from_bytes(log.to_bytes())

        assert not loaded.is_exact_month(dt.date(2025, 3, 1))
        assert _whole(loaded) == _whole(log)
        assert not _whole(loaded).is_exact

    @pytest.mark.parametrize(
        ("image", "error", "message"),
        [
            (b"", DecodeError, "header must be"),
            (b"CIDR" + bytes(20), UnsupportedFormatError, "magic"),
            (b"CIDA\x09" + bytes(20), UnsupportedFormatError, "version"),
        ],
    )
    def test_foreign_bytes_are_refused(self, image, error, message):
        with pytest.raises(error, match=message):
            ActivityLog.from_bytes(image)

    @settings(max_examples=60)
    @given(data=st.data())
    def test_corrupt_images_raise_decode_errors(self, data):
        log = ActivityLog()
        log.record(
            Client(
                id=ClientId("a"),
                type=ClientType.ENTITY,
                namespace_id=NamespaceId("root"),
            ),
            dt.datetime(2025, 3, 1, tzinfo=UTC),
        )
        image = log.to_bytes()
        broken = data.draw(s.corrupted(image))

        try:
            loaded = ActivityLog.from_bytes(broken)
        except DecodeError:
            return
        # Junk after the payload may leave a loadable image; never a
        # different log.
        assert loaded.to_bytes() == image

    def test_a_checksummed_but_inconsistent_image_is_refused(self):
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        log = ActivityLog()
        log.record(
            Client(
                id=ClientId("a"),
                type=ClientType.ENTITY,
                namespace_id=NamespaceId("root"),
            ),
            dt.datetime(2025, 3, 1, tzinfo=UTC),
        )
        document: Any = unframe(log.to_bytes(), b"CIDA", 1, "activity log")
        document["months"][0][1]["groups"] = [7]  # no such group

        with pytest.raises(DecodeError, match="consistent log"):
            ActivityLog.from_bytes(frame(b"CIDA", 1, document))

    def test_a_sketch_that_is_no_sketch_is_refused(self):
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        log = _log_with_a_sketch(ActivityLog(), 2)
        document: Any = unframe(log.to_bytes(), b"CIDA", 1, "log")
        document["months"][0][1]["imported"][0][1] = "AAAA"

        with pytest.raises(DecodeError) as info:
            ActivityLog.from_bytes(frame(b"CIDA", 1, document))

        assert "consistent log" not in str(info.value)

    def test_a_sketched_month_still_counts_each_client_once(self):
        """The filter of attributed clients is saved with the sketches."""
        log = ActivityLog(exact_limit=1)
        at = dt.datetime(2025, 3, 1, tzinfo=UTC)
        for name in ("a", "b"):
            log.record(_client(name, "root"), at)
        loaded = ActivityLog.from_bytes(log.to_bytes())

        # "a" again, now in another namespace: already attributed.
        for either in (log, loaded):
            either.record(_client("a", "ns1"), at)

        whole = _whole(loaded)
        assert whole == _whole(log)
        assert [ns.namespace_id for ns in whole.by_namespace] == ["root"]

    def test_a_sketched_month_keeps_first_use_times(self):
        """An earlier use after loading moves the client, as before it."""
        log = ActivityLog(exact_limit=1)
        for name in ("a", "b"):
            log.record(
                _client(name, "root"), dt.datetime(2025, 3, 9, tzinfo=UTC)
            )
        loaded = ActivityLog.from_bytes(log.to_bytes())

        earlier = dt.datetime(2025, 3, 2, tzinfo=UTC)
        for either in (log, loaded):
            either.record(_client("a", "ns1"), earlier)

        whole = _whole(loaded)
        assert whole == _whole(log)
        assert {
            ns.namespace_id: ns.counts.clients.value
            for ns in whole.by_namespace
        } == {"root": 1, "ns1": 1}
        assert loaded.to_bytes() == log.to_bytes()

    def test_a_sketched_month_naming_no_such_group_is_refused(self):
        from clientid.activity.seen import AttributedFilter  # noqa: PLC0415
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        log = ActivityLog(exact_limit=1)
        for name in ("a", "b"):
            log.record(
                _client(name, "root"), dt.datetime(2025, 3, 1, tzinfo=UTC)
            )
        document: Any = unframe(log.to_bytes(), b"CIDA", 1, "log")
        table = AttributedFilter()
        table.attribute("a", 5, 0)  # the log has one group, 0
        document["months"][0][1]["attributed"] = base64.b64encode(
            table.to_bytes()
        ).decode()

        with pytest.raises(DecodeError, match="consistent log"):
            ActivityLog.from_bytes(frame(b"CIDA", 1, document))

    def test_records_too_far_ahead_stay_refused_after_loading(self):
        """The future tolerance, its reference month and count are saved."""
        log = ActivityLog(
            future_tolerance_months=2,
            now=dt.datetime(2025, 3, 1, tzinfo=UTC),
        )
        ahead = dt.datetime(2025, 9, 1, tzinfo=UTC)
        log.record(_client("early", "root"), ahead)  # refused
        loaded = ActivityLog.from_bytes(log.to_bytes())

        loaded.record(_client("again", "root"), ahead)

        assert loaded.months == ()
        assert loaded.future_records == 2

    @pytest.mark.parametrize(
        ("field", "value"),
        [("attributed", "AAAA"), ("attributed", 3)],
    )
    def test_a_broken_attributed_filter_is_refused(self, field, value):
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        log = ActivityLog(exact_limit=1)
        for name in ("a", "b"):
            log.record(
                _client(name, "root"), dt.datetime(2025, 3, 1, tzinfo=UTC)
            )
        document: Any = unframe(log.to_bytes(), b"CIDA", 1, "log")
        document["months"][0][1][field] = value

        with pytest.raises(DecodeError):
            ActivityLog.from_bytes(frame(b"CIDA", 1, document))

    def test_a_reference_below_the_newest_month_is_refused(self):
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        log = ActivityLog()
        log.record(_client("a", "root"), dt.datetime(2025, 3, 1, tzinfo=UTC))
        document: Any = unframe(log.to_bytes(), b"CIDA", 1, "log")
        document["reference"] -= 1

        with pytest.raises(DecodeError, match="consistent log"):
            ActivityLog.from_bytes(frame(b"CIDA", 1, document))

    def test_a_wrongly_typed_field_is_refused(self):
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        document: Any = unframe(ActivityLog().to_bytes(), b"CIDA", 1, "log")
        document["lg_k"] = True

        with pytest.raises(DecodeError, match="must be int"):
            ActivityLog.from_bytes(frame(b"CIDA", 1, document))

    def test_a_truncated_payload_is_named_corrupt(self):
        image = bytearray(ActivityLog().to_bytes())
        image[-1] ^= 0xFF

        with pytest.raises(DecodeError, match="corrupt"):
            ActivityLog.from_bytes(bytes(image))


class TestFraming:
    """
    The checked image every saved state shares.
    """

    def test_a_payload_that_is_not_zlib_is_refused(self):
        import struct  # noqa: PLC0415
        import zlib  # noqa: PLC0415

        payload = b"not zlib"
        image = (
            struct.pack("<4sBIQ", b"CIDA", 1, zlib.crc32(payload), 8) + payload
        )

        with pytest.raises(DecodeError, match="compressed JSON"):
            ActivityLog.from_bytes(image)

    def test_a_wrong_inflated_length_is_refused(self):
        import struct  # noqa: PLC0415
        import zlib  # noqa: PLC0415

        payload = zlib.compress(b"{}")
        image = (
            struct.pack("<4sBIQ", b"CIDA", 1, zlib.crc32(payload), 1) + payload
        )

        with pytest.raises(DecodeError, match="inflate to 1 bytes"):
            ActivityLog.from_bytes(image)

    @pytest.mark.parametrize(
        "size", [2**63 - 1, 2**63, 2**64 - 1, 10 * 2**20], ids=str
    )
    def test_a_declared_length_no_payload_could_inflate_to_is_refused(
        self, size
    ):
        """
        A corrupt length field (the checksum covers only the payload) is a
        decode error, not an overflow or an allocation of that many bytes.
        """
        import struct  # noqa: PLC0415
        import zlib  # noqa: PLC0415

        payload = zlib.compress(b"{}")
        image = (
            struct.pack("<4sBIQ", b"CIDA", 1, zlib.crc32(payload), size)
            + payload
        )

        with pytest.raises(
            DecodeError, match=f"cannot inflate to {size} bytes"
        ):
            ActivityLog.from_bytes(image)

    def test_a_maximally_compressed_payload_is_read(self):
        """The bound on the declared length admits zlib's best ratio."""
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        document = {"k": "a" * 4_000_000}
        image = frame(b"TEST", 1, document)

        assert unframe(image, b"TEST", 1, "test") == document


class TestReportBounds:
    """
    ``report`` and ``export`` take months, dates and RFC 3339 text, and a
    namespace by path.
    """

    @pytest.fixture
    def log(self):
        log = ActivityLog(
            namespaces=[
                Namespace(
                    id=NamespaceId("ns1"),
                    path="team-a/",
                    parent_id=NamespaceId("root"),
                )
            ]
        )
        for month, namespace in ((2, "root"), (3, "ns1"), (4, "ns1")):
            log.record(
                Client(
                    id=ClientId(f"c{month}"),
                    type=ClientType.ENTITY,
                    namespace_id=NamespaceId(namespace),
                ),
                dt.datetime(2025, month, 10, tzinfo=UTC),
            )
        return log

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("2025-03", "2025-04"),
            ("2025-03-31", "2025-04-01"),
            ("2025-03-01T00:00:00Z", "2025-04-30T23:59:59.5+00:00"),
            ("2025-03-15 10:00:00z", dt.date(2025, 4, 2)),
        ],
    )
    def test_text_bounds_name_the_same_months(self, log, start, end):
        expected = log.report(dt.date(2025, 3, 1), dt.date(2025, 4, 1))

        assert log.report(start, end) == expected
        assert log.export(start, end) == log.export(
            dt.date(2025, 3, 1), dt.date(2025, 4, 1)
        )

    @pytest.mark.parametrize(
        "bound",
        ["2025", "2025-13", "2025-02-30", "March", "2025-03-01T10:00Z", 7],
    )
    def test_other_bounds_are_refused_naming_the_rule(self, log, bound):
        with pytest.raises(InvalidModelError, match="'YYYY-MM'") as info:
            log.report(bound, "2025-04")

        assert info.value.args[0] == "start"

    @pytest.mark.parametrize("scope", ["ns1", "team-a/", "team-a", "/team-a/"])
    def test_a_namespace_is_named_by_id_or_path(self, log, scope):
        report = log.report("2025-02", "2025-04", namespace_id=scope)

        assert report.namespace_id == "ns1"
        assert report.distinct.clients.value == 2

    @pytest.mark.parametrize("scope", ["", "/"])
    def test_an_empty_path_is_root(self, log, scope):
        assert log.namespace_for(scope) == "root"

    def test_an_unknown_namespace_is_refused(self, log):
        with pytest.raises(InvalidModelError, match="known namespace"):
            log.report("2025-02", "2025-04", namespace_id="team-z/")

    def test_a_namespace_that_is_no_string_is_refused(self, log):
        with pytest.raises(InvalidModelError, match="ID or path"):
            log.report("2025-02", "2025-04", namespace_id=3)


def _run(chunks: list[list[str]]):
    """Count the chunks as separate runs, saving state in between."""
    log_image = reader_image = None
    for chunk in chunks:
        log = (
            ActivityLog(retention_months=None)
            if log_image is None
            else ActivityLog.from_bytes(log_image)
        )
        reader = (
            AuditLogReader()
            if reader_image is None
            else AuditLogReader.from_bytes(reader_image)
        )
        for line in chunk:
            event = reader.feed(json.loads(line))
            if event is not None:
                log.record_event(event)
        reader.describe(log)
        log_image, reader_image = log.to_bytes(), reader.to_bytes()
    return _whole(log), reader.skipped, reader.counted, reader.approximate


class TestAuditReaderImage:
    """
    ``AuditLogReader.to_bytes()`` / ``from_bytes()`` and ``describe()``.
    """

    @pytest.mark.parametrize("cut", [1, 600, 1187, 2375])
    def test_two_runs_over_two_halves_equal_one_run(self, cut):
        lines = _sample_lines()

        assert _run([lines[:cut], lines[cut:]]) == _run([lines])

    def test_a_token_minted_before_the_cut_is_joined_after_it(self):
        login = {
            "time": "2025-03-01T10:00:00Z",
            "type": "response",
            "auth": {"client_token": "hmac-t", "accessor": "hmac-a"},
            "request": {
                "id": "login-1",
                "path": "auth/userpass/login/bob",
                "mount_point": "auth/userpass/",
                "mount_type": "userpass",
                "mount_accessor": "auth_userpass_1",
                "namespace": {"id": "nsA", "path": "team-a/"},
            },
            "response": {
                "auth": {
                    "client_token": "hmac-t",
                    "accessor": "hmac-a",
                    "entity_id": "ent-1",
                    "token_policies": ["default"],
                }
            },
        }
        use = {
            "time": "2025-03-02T10:00:00Z",
            "type": "request",
            "auth": {
                "client_token": "hmac-t",
                "accessor": "hmac-a",
                "entity_id": "ent-1",
                "token_policies": ["default"],
                "policy_results": {"allowed": True},
            },
            "request": {
                "id": "use-1",
                "client_id": "ent-1",
                "client_token": "hmac-t",
                "client_token_accessor": "hmac-a",
                "path": "secret/data/x",
                "mount_point": "secret/",
                "namespace": {"id": "nsA", "path": "team-a/"},
            },
        }
        lines = [json.dumps(login), json.dumps(use)]

        report, _skipped, counted, approximate = _run([lines[:1], lines[1:]])

        assert (counted, approximate) == (1, 0)
        [namespace] = report.by_namespace
        assert namespace.namespace_path == "team-a/"
        assert namespace.mounts[0].mount_path == "auth/userpass/"

    def test_origins_without_an_issue_time_survive(self):
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        document: Any = unframe(AuditLogReader().to_bytes(), b"CIDR", 1, "r")
        document["origins"] = [["acc", "ns1", None, None]]
        image = frame(b"CIDR", 1, document)

        assert AuditLogReader.from_bytes(image).to_bytes() == image

    def test_the_limits_travel_with_the_image(self):
        reader = AuditLogReader(dedup_limit=3, join_limit=5)

        loaded = AuditLogReader.from_bytes(reader.to_bytes(), lenient=True)

        assert loaded.to_bytes() == reader.to_bytes()
        assert loaded._lenient

    def test_a_log_image_is_no_reader_image(self):
        with pytest.raises(UnsupportedFormatError, match="magic"):
            AuditLogReader.from_bytes(ActivityLog().to_bytes())

    @pytest.mark.parametrize(
        ("key", "value", "message"),
        [
            ("index", "3", "must be an integer"),
            ("seen", [1], "must be a string"),
            ("origins", [["a", "ns", None, "2025-01-01T00:00:00"]], "aware"),
            ("skipped", {}, "KeyError"),
        ],
    )
    def test_an_inconsistent_image_is_refused(self, key, value, message):
        from clientid.model.framing import frame, unframe  # noqa: PLC0415

        document: Any = unframe(AuditLogReader().to_bytes(), b"CIDR", 1, "r")
        document[key] = value

        with pytest.raises(DecodeError, match=message):
            AuditLogReader.from_bytes(frame(b"CIDR", 1, document))

    def test_describe_labels_live_namespaces(self):
        reader = AuditLogReader(lenient=True)
        log = ActivityLog()
        for event in reader.read(json.loads(x) for x in _sample_lines()):
            log.record_event(event)
        before = {ns.namespace_path for ns in _whole(log).by_namespace}

        reader.describe(log)

        after = {ns.namespace_path for ns in _whole(log).by_namespace}
        assert any(path.startswith("deleted") for path in before)
        assert after == {"", "team-a/", "team-a/dev/", "team-b/"}


def test_the_ingest_guide_snippet_labels_live_namespaces(
    tmp_path, monkeypatch
):
    """
    The first snippet of docs/ingest.md, run on the sample as audit.log,
    names every namespace by its path.
    """
    guide = (ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
    snippet = re.findall(r"```python\n(.*?)```", guide, flags=re.DOTALL)[0]
    (tmp_path / "audit.log").write_bytes(SAMPLE.read_bytes())
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}

    exec(snippet, scope)  # noqa: S102 (the project's own documentation)

    report = scope["report"]
    paths = [ns.namespace_path for ns in report.by_namespace]  # type: ignore[attr-defined]
    assert paths
    assert not [path for path in paths if path.startswith("deleted")]
