"""
Tests for export records and the writers of Vault's export formats.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest

from clientid import (
    ActivityLog,
    AliasId,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    Entity,
    EntityAlias,
    EntityId,
    ExportFormat,
    ExportRecord,
    Group,
    GroupId,
    MountAccessor,
    Namespace,
    NamespaceId,
    export_csv,
    export_json_lines,
)
from clientid.errors import InvalidModelError

UTC = dt.UTC
CREATED = dt.datetime(2025, 3, 4, 9, 15, 27, tzinfo=UTC)
FIRST_USED = dt.datetime(2025, 3, 5, 8, 0, 13, tzinfo=UTC)


def record(**changes: Any) -> ExportRecord:
    base = ExportRecord(
        client_id=ClientId("d60e0815-e6c5-4eb6-afac-16b3d92f8490"),
        client_type=ClientType.ENTITY,
        namespace_id=NamespaceId("Xq2bK"),
        namespace_path="team-a/",
        mount_accessor=MountAccessor("auth_userpass_e9f8fee8"),
        mount_path="auth/userpass/",
        mount_type="userpass",
        token_creation_time=CREATED,
        client_first_used_time=FIRST_USED,
    )
    return attrs.evolve(base, **changes)


def alice() -> ExportRecord:
    return record(
        entity_name="alice",
        entity_alias_name="alice",
        policies=("default", "kv-reader"),
        entity_metadata=(("cost_center", "cc-4410"),),
        entity_alias_custom_metadata=(("team", "payments"),),
        entity_group_ids=("7b9798c7-f88e-450d-be26-d063eec11439",),
    )


def ci_token() -> ExportRecord:
    return record(
        client_id=ClientId("dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8="),
        client_type=ClientType.NON_ENTITY_TOKEN,
        namespace_id=NamespaceId("root"),
        namespace_path="",
        mount_accessor=MountAccessor("auth_token_6b1d0c2a"),
        mount_path="auth/token/",
        mount_type="token",
        token_creation_time=dt.datetime(2025, 3, 4, 11, 1, 59, tzinfo=UTC),
        policies=("ci-deployer", "default"),
    )


class TestLegacyFormat:
    def test_json_omits_zero_values_as_go_omitempty_does(self):
        """
        1.14 layout: non_entity only when true, client_type when known.
        """
        text = export_json_lines([record()], version=ExportFormat.VAULT_1_14)

        assert text == (
            '{"client_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490",'
            '"namespace_id":"Xq2bK","timestamp":1741079727,'
            '"mount_accessor":"auth_userpass_e9f8fee8","client_type":"entity"}\n'
        )

    def test_non_entity_records_carry_non_entity_true(self):
        """
        Every type but entity sets non_entity in the 1.14 layout.
        """
        text = export_json_lines([ci_token()], version=ExportFormat.VAULT_1_14)

        assert '"non_entity":true,' in text
        assert '"client_type":"non-entity-token"' in text

    @pytest.mark.parametrize(
        "version",
        [
            ExportFormat.VAULT_1_14,
            ExportFormat.VAULT_1_18,
            ExportFormat.VAULT_1_21,
        ],
    )
    def test_acme_type_is_pki_acme_in_every_layout(self, version):
        """
        Vault's ACME activity type is pki-acme, a constant it never changed.
        """
        acme = record(client_type=ClientType.ACME)

        fields = json.loads(export_json_lines([acme], version=version))

        assert fields["client_type"] == "pki-acme"

    def test_the_1_11_layout_has_no_client_type(self):
        """
        Vault 1.11-1.13 records had no client_type field.
        """
        text = export_json_lines([record()], version=ExportFormat.VAULT_1_11)

        assert "client_type" not in text

    def test_zero_timestamp_and_missing_accessor_are_omitted(self):
        """
        A token created at the epoch and no accessor leave both keys out.
        """
        epoch = dt.datetime(1970, 1, 1, tzinfo=UTC)
        bare = record(token_creation_time=epoch, mount_accessor=None)

        text = export_json_lines([bare], version=ExportFormat.VAULT_1_11)

        assert text == (
            '{"client_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490",'
            '"namespace_id":"Xq2bK"}\n'
        )

    def test_csv_has_five_columns_with_integer_time(self):
        """
        1.11-1.17 CSV: five columns, seconds, true/false.
        """
        text = export_csv(
            [record(), ci_token()], version=ExportFormat.VAULT_1_14
        )

        assert text == (
            "client_id,namespace_id,timestamp,non_entity,mount_accessor\n"
            "d60e0815-e6c5-4eb6-afac-16b3d92f8490,Xq2bK,1741079727,false,"
            "auth_userpass_e9f8fee8\n"
            "dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8=,root,1741086119,"
            "true,auth_token_6b1d0c2a\n"
        )


class TestIdentityFormats:
    def test_1_18_json_has_every_field_in_vaults_order(self):
        """
        The documented 1.18 sample line, byte for byte.
        """
        text = export_json_lines([alice()], version=ExportFormat.VAULT_1_18)

        assert text == (
            '{"entity_name":"alice","entity_alias_name":"alice",'
            '"local_entity_alias":false,'
            '"client_id":"d60e0815-e6c5-4eb6-afac-16b3d92f8490",'
            '"client_type":"entity","namespace_id":"Xq2bK",'
            '"namespace_path":"team-a/",'
            '"mount_accessor":"auth_userpass_e9f8fee8",'
            '"mount_type":"userpass","mount_path":"auth/userpass/",'
            '"timestamp":"2025-03-04T09:15:27Z",'
            '"policies":["default","kv-reader"],'
            '"entity_metadata":{"cost_center":"cc-4410"},'
            '"entity_alias_metadata":{},'
            '"entity_alias_custom_metadata":{"team":"payments"},'
            '"entity_group_ids":["7b9798c7-f88e-450d-be26-d063eec11439"]}\n'
        )

    def test_1_21_json_splits_the_timestamp(self):
        """
        1.21: token_creation_time and client_first_used_time replace it.
        """
        fields = json.loads(
            export_json_lines([record()], version=ExportFormat.VAULT_1_21)
        )

        assert "timestamp" not in fields
        assert fields["token_creation_time"] == "2025-03-04T09:15:27Z"  # noqa: S105
        assert fields["client_first_used_time"] == "2025-03-05T08:00:13Z"
        assert list(fields).index("mount_path") + 1 == list(fields).index(
            "token_creation_time"
        )

    def test_the_default_layout_is_1_21(self):
        """
        Without a version, the writers use the newest layout.
        """
        assert export_json_lines([record()]) == export_json_lines(
            [record()], version=ExportFormat.VAULT_1_21
        )
        assert export_csv([record()]) == export_csv(
            [record()], version=ExportFormat.VAULT_1_21
        )

    def test_1_18_csv_sorts_flattened_columns_lexicographically(self):
        """
        The docs' two records: fixed columns, then sorted flattened ones.
        """
        text = export_csv(
            [alice(), ci_token()], version=ExportFormat.VAULT_1_18
        )

        assert text == (
            "entity_name,entity_alias_name,client_id,client_type,"
            "local_entity_alias,namespace_id,namespace_path,mount_accessor,"
            "mount_path,mount_type,timestamp,"
            "entity_alias_custom_metadata.team,entity_group_ids.0,"
            "entity_metadata.cost_center,policies.0,policies.1\n"
            "alice,alice,d60e0815-e6c5-4eb6-afac-16b3d92f8490,entity,false,"
            "Xq2bK,team-a/,auth_userpass_e9f8fee8,auth/userpass/,userpass,"
            "2025-03-04T09:15:27Z,payments,"
            "7b9798c7-f88e-450d-be26-d063eec11439,cc-4410,default,kv-reader\n"
            ",,dqshC4k6oEqfPCd/lDoNq4USK4M/u1NhiodH5yslpm8=,non-entity-token,"
            "false,root,,auth_token_6b1d0c2a,auth/token/,token,"
            "2025-03-04T11:01:59Z,,,,ci-deployer,default\n"
        )

    def test_1_21_csv_has_both_time_columns(self):
        """
        The 1.21 CSV header carries the two time columns after mount_type.
        """
        header = export_csv([record()]).splitlines()[0].split(",")

        assert (header[9:12]) == [
            "mount_type",
            "token_creation_time",
            "client_first_used_time",
        ]

    @pytest.mark.parametrize("version", list(ExportFormat))
    def test_empty_input_writes_nothing(self, version):
        """
        No records, no bytes: Vault writes a CSV header only after a record.
        """
        assert export_json_lines([], version=version) == ""
        assert export_csv([], version=version) == ""


class TestEscaping:
    @pytest.mark.parametrize(
        ("value", "written"),
        [
            ("plain", "plain"),
            ("", ""),
            ("a,b", '"a,b"'),
            ('say "hi"', '"say ""hi"""'),
            ("two\nlines", '"two\nlines"'),
            (" leading space", '" leading space"'),  # Go quotes leading space
            ("\\.", '"\\."'),  # Go's end-of-data marker is quoted
            ("trailing ", "trailing "),
        ],
    )
    def test_csv_fields_are_quoted_as_go_quotes_them(self, value, written):
        """
        Quotes appear exactly where Go's encoding/csv writes them.
        """
        text = export_csv(
            [record(entity_name=value)], version=ExportFormat.VAULT_1_18
        )

        assert text.splitlines(keepends=True)[1].startswith(written + ",") or (
            text.split("\n", 1)[1].startswith(written + ",")
        )

    def test_json_escapes_html_characters_as_go_does(self):
        """
        Go's encoding/json writes <, > and & as unicode escapes.
        """
        text = export_json_lines(
            [record(entity_name="<a&b>")], version=ExportFormat.VAULT_1_18
        )

        assert '"entity_name":"\\u003ca\\u0026b\\u003e"' in text

    def test_json_keeps_non_ascii_as_utf8(self):
        """
        Non-ASCII text is written as UTF-8, not escaped.
        """
        text = export_json_lines(
            [record(entity_name="zoë")], version=ExportFormat.VAULT_1_18
        )

        assert '"entity_name":"zoë"' in text

    def test_metadata_keys_are_written_sorted(self):
        """
        Go writes map keys in sorted order.
        """
        text = export_json_lines(
            [record(entity_metadata=(("b", "2"), ("a", "1")))],
            version=ExportFormat.VAULT_1_18,
        )

        assert '"entity_metadata":{"a":"1","b":"2"}' in text


class TestRecordValidation:
    @pytest.mark.parametrize("field", ["client_id", "namespace_id"])
    def test_empty_ids_are_rejected(self, field):
        """
        An export record needs a client ID and a namespace ID.
        """
        with pytest.raises(InvalidModelError) as info:
            record(**{field: ""})

        assert field == info.value.field

    @pytest.mark.parametrize(
        "field", ["token_creation_time", "client_first_used_time"]
    )
    def test_naive_times_are_rejected(self, field):
        """
        Export times are instants: a naive datetime raises for its field.
        """
        with pytest.raises(InvalidModelError) as info:
            record(**{field: dt.datetime(2025, 1, 1)})  # noqa: DTZ001

        assert field == info.value.field
        assert "timezone-aware" in str(info.value)


class TestLogExport:
    def log(self) -> ActivityLog:
        log = ActivityLog(
            namespaces=[
                Namespace(
                    id=NamespaceId("ns1"),
                    path="team-a/",
                    parent_id=NamespaceId("root"),
                )
            ],
            mounts=[
                AuthMount(
                    accessor=MountAccessor("auth_up"),
                    type="userpass",
                    path="auth/userpass/",
                    namespace_id=NamespaceId("ns1"),
                )
            ],
        )
        log.record(
            Client(
                id=ClientId("e1"),
                type=ClientType.ENTITY,
                namespace_id=NamespaceId("ns1"),
                mount_accessor=MountAccessor("auth_up"),
            ),
            dt.datetime(2025, 1, 5, tzinfo=UTC),
        )
        log.record(
            Client(id=ClientId("t1"), type=ClientType.NON_ENTITY_TOKEN),
            dt.datetime(2025, 1, 6, tzinfo=UTC),
        )
        return log

    def test_identity_objects_fill_the_1_18_fields(self):
        """
        Entity, alias and group details come from the objects passed in.
        """
        entity = Entity(
            id=EntityId("e1"),
            name="alice",
            namespace_id=NamespaceId("ns1"),
            policies=("kv", "dev"),
            metadata=(("team", "a"),),
        )
        alias = EntityAlias(
            id=AliasId("al1"),
            canonical_id=EntityId("e1"),
            mount_accessor=MountAccessor("auth_up"),
            name="Alice",
            namespace_id=NamespaceId("ns1"),
            custom_metadata=(("region", "eu"),),
        )
        groups = [
            Group(
                id=GroupId("g2"), name="b", member_entity_ids=(EntityId("e1"),)
            ),
            Group(
                id=GroupId("g1"), name="a", member_entity_ids=(EntityId("e1"),)
            ),
            Group(id=GroupId("g3"), name="c"),
        ]

        first, _ = self.log().export(
            dt.date(2025, 1, 1),
            dt.date(2025, 1, 1),
            entities=[entity],
            aliases=[alias],
            groups=groups,
        )

        assert (
            first.entity_name,
            first.entity_alias_name,
        ) == ("alice", "Alice")
        assert first.policies == ("dev", "kv")
        assert first.entity_metadata == (("team", "a"),)
        assert first.entity_alias_custom_metadata == (("region", "eu"),)
        assert first.entity_group_ids == ("g1", "g2")

    def test_records_carry_namespace_and_mount_details(self):
        """
        Paths and types come from what the log knows; unknown mounts are blank.
        """
        first, second = self.log().export(
            dt.date(2025, 1, 1), dt.date(2025, 1, 1)
        )

        assert (
            first.namespace_path,
            first.mount_path,
            first.mount_type,
        ) == ("team-a/", "auth/userpass/", "userpass")
        assert (
            second.namespace_path,
            second.mount_path,
            second.mount_type,
        ) == ("", "", "")

    def test_a_scoped_export_holds_only_the_scope(self):
        """
        Exporting from team-a/ leaves the root client out.
        """
        records = self.log().export(
            dt.date(2025, 1, 1),
            dt.date(2025, 1, 1),
            namespace_id=NamespaceId("ns1"),
        )

        assert [r.client_id for r in records] == ["e1"]

    def test_an_empty_range_exports_nothing(self):
        """
        A range without records gives no records (Vault answers 204).
        """
        assert (
            self.log().export(dt.date(2024, 1, 1), dt.date(2024, 12, 1)) == ()
        )


class TestExportMounts:
    """
    Vault 1.18 takes an entity's mount from its alias, others' from the table.
    """

    def log(self, *, known: bool) -> ActivityLog:
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
        log.record(
            Client(
                id=ClientId("e1"),
                type=ClientType.ENTITY,
                mount_accessor=MountAccessor("auth_up"),
            ),
            dt.datetime(2025, 1, 5, tzinfo=UTC),
        )
        return log

    def export(self, log: ActivityLog, *, alias: bool) -> ExportRecord:
        (exported,) = log.export(
            dt.date(2025, 1, 1),
            dt.date(2025, 1, 1),
            entities=[Entity(id=EntityId("e1"), name="alice")],
            aliases=[
                EntityAlias(
                    id=AliasId("al1"),
                    canonical_id=EntityId("e1"),
                    mount_accessor=MountAccessor("auth_up"),
                    name="alice",
                )
            ]
            if alias
            else [],
        )
        return exported

    @pytest.mark.parametrize(
        ("known", "alias", "expected"),
        [
            (True, True, ("auth/userpass/", "userpass")),
            # An entity without an alias on the mount: Vault leaves both blank.
            (True, False, ("", "")),
            # The alias's mount is gone: Vault's deleted-mount label.
            (False, True, ('deleted mount; accessor "auth_up"', "")),
            (False, False, ("", "")),
        ],
    )
    def test_entity_mount_details(self, known, alias, expected):
        """
        Mount path and type follow Vault 1.18's lookup rules.
        """
        exported = self.export(self.log(known=known), alias=alias)

        assert (exported.mount_path, exported.mount_type) == expected
