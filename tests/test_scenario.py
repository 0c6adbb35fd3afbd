"""
Tests for Scenario and ActivityLog.report(..., scenario=...).
"""

from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

from clientid import (
    ActivityLog,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    HyperLogLog,
    MonthActivity,
    MountAccessor,
    Namespace,
    NamespaceId,
    Scenario,
)
from clientid.errors import (
    InvalidModelError,
    MalformedRecordError,
    SketchedMonthError,
)

UTC = dt.UTC
JAN = dt.date(2024, 1, 1)
FEB = dt.date(2024, 2, 1)


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


def at(month: int, day: int = 1, hour: int = 0) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, tzinfo=UTC)


def namespace(ns_id: str, path: str, parent: str = "root") -> Namespace:
    return Namespace(
        id=NamespaceId(ns_id), path=path, parent_id=NamespaceId(parent)
    )


def world() -> ActivityLog:
    """
    root > a/ > a/c/, and b/; mounts auth_up (root), auth_a (a/), auth_b (b/).
    """
    log = ActivityLog(
        namespaces=[
            namespace("nsA", "a/"),
            namespace("nsC", "a/c/", "nsA"),
            namespace("nsB", "b/"),
        ],
        mounts=[
            AuthMount(
                accessor=MountAccessor("auth_up"),
                type="userpass",
                path="auth/userpass/",
            ),
            AuthMount(
                accessor=MountAccessor("auth_a"),
                type="approle",
                path="auth/approle/",
                namespace_id=NamespaceId("nsA"),
            ),
            AuthMount(
                accessor=MountAccessor("auth_b"),
                type="approle",
                path="auth/approle/",
                namespace_id=NamespaceId("nsB"),
            ),
        ],
    )
    log.record(client("r1"), at(1, 2))
    log.record(client("a1", "nsA", "auth_a"), at(1, 3))
    log.record(client("c1", "nsC", "auth_c"), at(1, 3))
    log.record(client("b1", "nsB", "auth_b"), at(1, 4))
    log.record(
        client("t1", "nsB", "auth_b", ClientType.NON_ENTITY_TOKEN), at(1, 4)
    )
    log.record(client("b1", "nsB", "auth_b"), at(2, 2))
    log.record(client("a1", "nsA", "auth_a"), at(2, 3))
    log.record(client("pki-acme.x", "nsA", "pki_1", ClientType.ACME), at(2, 5))
    return log


def per_namespace(log: ActivityLog, scenario: Scenario | None, **kw):
    report = log.report(JAN, FEB, scenario=scenario, **kw)
    return {
        ns.namespace_id: ns.counts.clients.value for ns in report.by_namespace
    }


class TestBuilding:
    def test_each_method_adds_one_step_and_leaves_the_original(self):
        """
        Scenarios are values: a method returns a new one.
        """
        empty = Scenario()

        one = empty.drop_types(ClientType.ACME)

        assert empty.steps == ()
        assert len(one.steps) == 1

    def test_equal_steps_make_equal_hashable_scenarios(self):
        """
        Two scenarios built alike are equal and hash alike.
        """
        first = Scenario().map_clients({"a": "x", "b": "x"})
        second = Scenario().map_clients({"b": "x", "a": "x"})

        assert first == second
        assert hash(first) == hash(second)

    def test_or_and_then_concatenate_steps(self):
        """
        a | b runs a's steps, then b's, like a.then(b).
        """
        a = Scenario().drop_mounts("m1")
        b = Scenario().drop_types(ClientType.ACME)

        assert (a | b).steps == (*a.steps, *b.steps)
        assert a.then(b) == a | b
        assert (b | a).steps == (*b.steps, *a.steps)

    def test_composition_is_associative_with_the_empty_identity(self):
        """
        (a | b) | c == a | (b | c); Scenario() | a == a == a | Scenario().
        """
        a = Scenario().drop_mounts("m1")
        b = Scenario().move_mount("m2", to="root")
        c = Scenario().delete_namespace("nsX")

        assert (a | b) | c == a | (b | c)
        assert Scenario() | a == a == a | Scenario()

    def test_or_with_something_else_is_a_type_error(self):
        """
        Only scenarios compose with |.
        """
        with pytest.raises(TypeError):
            _ = Scenario() | 3

    def test_regroupings_are_told_apart_from_id_maps(self):
        """
        A scenario is a regrouping unless it maps client IDs.
        """
        regrouping = Scenario().move_mount("m", to="root").drop_mounts("x")

        assert regrouping.is_regrouping
        assert not regrouping.map_clients({"a": "b"}).is_regrouping

    @pytest.mark.parametrize(
        ("build", "field", "value"),
        [
            (lambda s: s.move_mount("", to="root"), "move_mount.accessor", ""),
            (lambda s: s.move_mount("m", to=""), "move_mount.to", ""),
            (lambda s: s.move_mount(3, to="root"), "move_mount.accessor", 3),
            (
                lambda s: s.move_namespace("root", to="nsA"),
                "move_namespace.namespace_id",
                "root",
            ),
            (lambda s: s.move_namespace("n", to=""), "move_namespace.to", ""),
            (
                lambda s: s.delete_namespace("root"),
                "delete_namespace.namespace_id",
                "root",
            ),
            (
                lambda s: s.merge_namespaces("root", into="nsA"),
                "merge_namespaces.namespace_id",
                "root",
            ),
            (
                # Merging a namespace into itself changes nothing: a typo.
                lambda s: s.merge_namespaces("nsA", into="nsA"),
                "merge_namespaces.into",
                "nsA",
            ),
            (lambda s: s.drop_mounts(), "drop_mounts", ()),
            (lambda s: s.drop_mounts("m", ""), "drop_mounts", ""),
            (lambda s: s.drop_types(), "drop_types", ()),
            (lambda s: s.drop_types("entity"), "drop_types", "entity"),
            (lambda s: s.map_clients({}), "map_clients.mapping", {}),
            (
                lambda s: s.map_clients([("a", "b")]),
                "map_clients.mapping",
                [("a", "b")],
            ),
            (lambda s: s.map_clients({"a": ""}), "map_clients.mapping", ""),
            (
                lambda s: s.map_clients({"a": "b"}, client_type="entity"),
                "map_clients.client_type",
                "entity",
            ),
            (lambda s: s.then(3), "other", 3),
        ],
    )
    def test_bad_steps_raise_naming_field_rule_and_value(
        self, build, field, value
    ):
        """
        Each invalid step is refused with InvalidModelError.
        """
        with pytest.raises(InvalidModelError) as info:
            build(Scenario())

        assert info.value.field == field
        assert info.value.value == value
        assert info.value.rule
        assert repr(value) in str(info.value)


class TestRegroupings:
    def test_no_scenario_and_the_empty_scenario_agree(self):
        """
        The empty scenario reports the recorded world.
        """
        log = world()

        assert log.report(JAN, FEB, scenario=Scenario()) == log.report(
            JAN, FEB
        )

    def test_moving_a_mount_moves_its_clients(self):
        """
        auth_b's clients (b1, t1) move from b/ to root.
        """
        scenario = Scenario().move_mount("auth_b", to="root")

        assert per_namespace(world(), scenario) == {
            "root": 3,
            "nsA": 2,
            "nsC": 1,
        }

    def test_moving_a_mount_updates_the_mounts_namespace(self):
        """
        The moved mount keeps its label, now under root.
        """
        report = world().report(
            JAN, FEB, scenario=Scenario().move_mount("auth_b", to="root")
        )

        root = next(
            ns for ns in report.by_namespace if ns.namespace_id == "root"
        )
        assert {m.mount_path for m in root.mounts} == {
            "auth/userpass/",
            "auth/approle/",
        }

    def test_moving_a_mount_to_an_unknown_namespace_is_refused(self):
        """
        A step naming a namespace the log does not know is a typo.
        """
        scenario = Scenario().move_mount("auth_b", to="nope")

        with pytest.raises(InvalidModelError, match=r"move_mount\.to"):
            world().report(JAN, FEB, scenario=scenario)

    def test_moving_a_namespace_changes_paths_and_scopes_not_counts(self):
        """
        a/c/ under b/ becomes b/c/: counted in b/'s scope, not in a/'s.
        """
        log = world()
        scenario = Scenario().move_namespace("nsC", to="nsB")

        moved = log.report(JAN, FEB, scenario=scenario)
        in_b = log.report(
            JAN, FEB, scenario=scenario, namespace_id=NamespaceId("nsB")
        )
        in_a = log.report(
            JAN, FEB, scenario=scenario, namespace_id=NamespaceId("nsA")
        )

        assert per_namespace(log, scenario) == per_namespace(log, None)
        assert {ns.namespace_path for ns in moved.by_namespace} >= {"b/c/"}
        assert {ns.namespace_id for ns in in_b.by_namespace} == {"nsB", "nsC"}
        assert {ns.namespace_id for ns in in_a.by_namespace} == {"nsA"}

    def test_moving_a_namespace_moves_its_descendants_paths(self):
        """
        a/ under b/ becomes b/a/, and a/c/ becomes b/a/c/.
        """
        report = world().report(
            JAN, FEB, scenario=Scenario().move_namespace("nsA", to="nsB")
        )

        paths: dict[str, str] = {
            ns.namespace_id: ns.namespace_path for ns in report.by_namespace
        }
        assert paths["nsA"] == "b/a/"
        assert paths["nsC"] == "b/a/c/"

    @pytest.mark.parametrize(
        ("scenario", "field"),
        [
            (Scenario().move_namespace("nsA", to="nsC"), "move_namespace.to"),
            (Scenario().move_namespace("nsA", to="nsA"), "move_namespace.to"),
            (
                Scenario().move_namespace("nope", to="root"),
                "move_namespace.namespace_id",
            ),
            (
                Scenario().merge_namespaces("nsA", into="nsC"),
                "merge_namespaces.into",
            ),
            (
                Scenario().merge_namespaces("nsA", into="nope"),
                "merge_namespaces.into",
            ),
        ],
    )
    def test_impossible_namespace_moves_are_refused(self, scenario, field):
        """
        A namespace cannot move under itself, nor merge into its child.
        """
        with pytest.raises(InvalidModelError) as info:
            world().report(JAN, FEB, scenario=scenario)

        assert info.value.field == field

    def test_deleting_a_namespace_drops_it_and_its_descendants(self):
        """
        Deleting a/ drops a/ and a/c/ with their clients.
        """
        scenario = Scenario().delete_namespace("nsA")

        assert per_namespace(world(), scenario) == {"root": 1, "nsB": 2}

    def test_a_deleted_namespace_cannot_be_a_scope(self):
        """
        The scope is looked up in the edited world.
        """
        scenario = Scenario().delete_namespace("nsA")

        with pytest.raises(InvalidModelError, match="namespace_id"):
            world().report(
                JAN, FEB, scenario=scenario, namespace_id=NamespaceId("nsA")
            )

    def test_merging_counts_a_client_of_both_once(self):
        """
        e1 in b/ in January and in a/ in February counts once after a merge.
        """
        log = world()
        log.record(client("e1", "nsB", "auth_b"), at(1, 9))
        log.record(client("e1", "nsA", "auth_a"), at(2, 9))
        scenario = Scenario().merge_namespaces("nsB", into="nsA")

        before = log.report(JAN, FEB)
        after = log.report(JAN, FEB, scenario=scenario)

        assert before.total.clients.value == 8
        assert after.total.clients.value == 7
        assert per_namespace(log, scenario) == {"root": 1, "nsA": 5, "nsC": 1}

    def test_merging_reparents_the_children(self):
        """
        a/c/ becomes b/c/ when a/ merges into b/.
        """
        report = world().report(
            JAN, FEB, scenario=Scenario().merge_namespaces("nsA", into="nsB")
        )

        paths = {
            ns.namespace_id: ns.namespace_path for ns in report.by_namespace
        }
        assert paths == {"root": "", "nsB": "b/", "nsC": "b/c/"}

    def test_merging_a_deleted_namespace_moves_its_records(self):
        """
        A namespace the log does not know may still be merged.
        """
        log = world()
        log.record(client("g1", "gone", "auth_g"), at(1, 5))
        scenario = Scenario().merge_namespaces("gone", into="root")

        assert per_namespace(log, scenario)["root"] == 2

    def test_dropping_mounts_and_types(self):
        """
        Dropping auth_b and ACME leaves five clients.
        """
        scenario = Scenario().drop_mounts("auth_b").drop_types(ClientType.ACME)

        report = world().report(JAN, FEB, scenario=scenario)

        assert report.distinct.clients.value == 3
        assert report.distinct.acme_clients.value == 0

    def test_step_order_matters(self):
        """
        Move then delete drops the mount's clients; delete then move keeps.
        """
        move = Scenario().move_mount("auth_up", to="nsB")
        delete = Scenario().delete_namespace("nsB")

        move_first = world().report(JAN, FEB, scenario=move | delete)
        delete_first = world().report(
            JAN,
            FEB,
            scenario=delete | Scenario().move_mount("auth_up", to="root"),
        )

        assert move_first.distinct.clients.value == 3
        assert delete_first.distinct.clients.value == 4

    def test_steps_may_name_what_only_records_know(self):
        """
        An unknown mount moves and an unknown namespace is deleted.
        """
        log = world()
        log.record(client("g1", "gone", "auth_g"), at(1, 5))
        scenario = (
            Scenario()
            .move_mount("auth_g", to="nsB")
            .delete_namespace("never-seen")
        )

        assert per_namespace(log, scenario)["nsB"] == 3

    def test_the_log_is_not_changed(self):
        """
        A what-if report leaves the log as it was.
        """
        log = world()
        before = log.report(JAN, FEB)

        log.report(
            JAN, FEB, scenario=Scenario().merge_namespaces("nsA", into="nsB")
        )

        assert log.report(JAN, FEB) == before
        log._check()

    def test_a_scenario_that_is_not_one_is_refused(self):
        """
        scenario= takes a Scenario or None.
        """
        with pytest.raises(InvalidModelError, match="scenario"):
            world().report(JAN, FEB, scenario={"steps": []})  # type: ignore[arg-type]


class TestMapClients:
    def test_many_tokens_become_one_entity(self):
        """
        Three non-entity tokens mapped to one entity count as one entity.
        """
        log = ActivityLog()
        for token in ("t1", "t2", "t3"):
            log.record(
                client(token, client_type=ClientType.NON_ENTITY_TOKEN),
                at(1, 2),
            )
        scenario = Scenario().map_clients(
            dict.fromkeys(("t1", "t2", "t3"), "ent"),
            client_type=ClientType.ENTITY,
        )

        report = log.report(JAN, JAN, scenario=scenario)

        assert report.distinct.clients.value == 1
        assert report.distinct.entity_clients.value == 1
        assert report.distinct.non_entity_clients.value == 0

    def test_the_earliest_use_wins_the_merged_clients_attribution(self):
        """
        t2 (root, used first) wins over t1 (b/): the entity counts in root.
        """
        log = world()
        log.record(client("t2"), at(1, 1))
        scenario = Scenario().map_clients({"t1": "x", "t2": "x"})

        report = log.report(JAN, JAN, scenario=scenario)

        january = report.months[0]
        assert {
            ns.namespace_id: ns.counts.clients.value
            for ns in january.namespaces
        } == {"root": 2, "nsA": 1, "nsC": 1, "nsB": 1}

    def test_a_mapped_client_is_new_only_in_its_first_month(self):
        """
        b1 (Jan) and z (Feb) as one client: new in January only.
        """
        log = world()
        log.record(client("z", "nsB", "auth_b"), at(2, 1))
        scenario = Scenario().map_clients({"z": "b1"})

        report = log.report(JAN, FEB, scenario=scenario)

        assert [m.new_clients.counts.clients.value for m in report.months] == [
            5,
            1,
        ]

    def test_a_map_applies_once(self):
        """
        {a: b, b: c} sends a to b and b to c, not a to c.
        """
        log = ActivityLog()
        log.record(client("a"), at(1, 1))
        log.record(client("b"), at(1, 2))
        one_step = Scenario().map_clients({"a": "b", "b": "c"})
        two_steps = Scenario().map_clients({"a": "b"}).map_clients({"b": "c"})

        assert (
            log.report(JAN, JAN, scenario=one_step).distinct.clients.value == 2
        )
        assert (
            log.report(JAN, JAN, scenario=two_steps).distinct.clients.value
            == 1
        )


def sketched_world() -> ActivityLog:
    """
    January exact; February recorded as sketches of two namespaces.
    """
    log = world()
    for ns, accessor, ids in (
        ("nsA", "auth_a", ["a1", "s1", "s2"]),
        # Attributed to a/'s mount in b/, as Vault before GH-18809 could.
        ("nsB", "auth_a", ["s2", "s3", "s4"]),
    ):
        sketch = HyperLogLog(12)
        sketch.update(ids)
        log.record_sketch(
            FEB,
            namespace_id=NamespaceId(ns),
            mount_accessor=MountAccessor(accessor),
            client_type=ClientType.ENTITY,
            sketch=sketch,
        )
    return log


class TestSketchedMonths:
    def test_a_regrouping_unions_the_sketches(self):
        """
        Merging b/ into a/ unions the sketches of one cell: s2 counts once.
        """
        log = sketched_world()
        scenario = Scenario().merge_namespaces("nsB", into="nsA")

        before = log.report(FEB, FEB).months[0]
        after = log.report(FEB, FEB, scenario=scenario).months[0]

        def entities(month: MonthActivity) -> dict[str, int]:
            return {
                ns.namespace_id: ns.counts.entity_clients.value
                for ns in month.namespaces
            }

        assert not after.counts.is_exact
        # a/: a1 s1 s2; b/: b1 (auth_b) + s2 s3 s4 (auth_a).
        assert entities(before) == {"nsA": 3, "nsB": 4}
        # a/ now: a1 s1 s2 s3 s4 (one cell, a union) + b1 (auth_b).
        assert entities(after) == {"nsA": 6}

    def test_a_dropped_cell_leaves_a_sketched_month(self):
        """
        Dropping auth_b removes b/'s February sketch.
        """
        report = sketched_world().report(
            JAN, FEB, scenario=Scenario().drop_mounts("auth_b")
        )

        assert {ns.namespace_id for ns in report.months[1].namespaces} == {
            "nsA",
            "nsB",
        }
        assert report.months[1].counts.entity_clients.value == 6

    def test_an_id_map_on_a_sketched_month_names_the_month(self):
        """
        Mapping IDs needs records; a sketched month has none.
        """
        scenario = Scenario().map_clients({"s1": "s2"})

        with pytest.raises(SketchedMonthError) as info:
            sketched_world().report(JAN, FEB, scenario=scenario)

        assert info.value.month == dt.datetime(2024, 2, 1, tzinfo=UTC)
        assert "maps client IDs" in str(info.value)
        assert "2024, 2, 1" in str(info.value)

    def test_an_id_map_over_exact_months_only_works(self):
        """
        The sketched month outside the range does not matter.
        """
        scenario = Scenario().map_clients({"r1": "a1"})

        report = sketched_world().report(JAN, JAN, scenario=scenario)

        assert report.distinct.clients.value == 4

    def test_the_error_pickles_with_its_operation(self):
        """
        SketchedMonthError keeps month and operation through pickling.
        """
        error = SketchedMonthError(dt.datetime(2024, 2, 1, tzinfo=UTC), "x")

        copy = pickle.loads(pickle.dumps(error))

        assert (copy.month, copy.operation) == (error.month, "x")
        assert str(copy) == str(error)


SAMPLE = {
    "format": 1,
    "steps": [
        {"move_mount": "auth_b", "to": "root"},
        {"move_namespace": "nsC", "to": "root"},
        {"delete_namespace": "nsX"},
        {"merge_namespaces": "nsB", "into": "nsA"},
        {"drop_mounts": ["m1", "m2"]},
        {"drop_types": ["pki-acme", "secret-sync"]},
        {"map_clients": {"t1": "e", "t2": "e"}, "client_type": "entity"},
        {"map_clients": {"x": "y"}},
    ],
}


class TestJsonForm:
    def test_every_step_round_trips(self):
        """
        to_mapping and from_mapping are inverse; JSON text reads the same.
        """
        scenario = Scenario.from_mapping(SAMPLE)

        assert scenario.to_mapping() == SAMPLE
        assert Scenario.from_json(json.dumps(SAMPLE)) == scenario
        assert Scenario.from_json(json.dumps(SAMPLE).encode()) == scenario
        assert len(scenario.steps) == 8

    def test_the_json_form_builds_what_the_methods_build(self):
        """
        A step read from JSON equals the step built by its method.
        """
        built = (
            Scenario()
            .move_mount("auth_b", to="root")
            .map_clients({"t1": "e"}, client_type=ClientType.ENTITY)
        )

        assert Scenario.from_mapping(built.to_mapping()) == built

    @pytest.mark.parametrize(
        ("document", "field"),
        [
            ([], "$"),
            ({"steps": []}, "format"),
            ({"format": 2, "steps": []}, "format"),
            ({"format": 1}, "steps"),
            ({"format": 1, "steps": {}}, "steps"),
            ({"format": 1, "steps": [], "extra": 1}, "extra"),
            ({"format": 1, "steps": ["drop_mounts"]}, "steps[0]"),
            ({"format": 1, "steps": [{}]}, "steps[0]"),
            # Two step names in one object: which one was meant?
            (
                {
                    "format": 1,
                    "steps": [{"drop_mounts": ["a"], "drop_types": []}],
                },
                "steps[0]",
            ),
            (
                {"format": 1, "steps": [{"move_mount": "m"}]},
                "steps[0].to",
            ),
            (
                {
                    "format": 1,
                    "steps": [{"move_mount": "m", "to": "r", "x": 1}],
                },
                "steps[0].x",
            ),
            (
                {"format": 1, "steps": [{"move_mount": 3, "to": "root"}]},
                "steps[0].move_mount",
            ),
            (
                {"format": 1, "steps": [{"move_mount": "m", "to": ""}]},
                "steps[0].to",
            ),
            (
                {"format": 1, "steps": [{"delete_namespace": "root"}]},
                "steps[0].delete_namespace",
            ),
            (
                {
                    "format": 1,
                    "steps": [{"merge_namespaces": "a", "into": "a"}],
                },
                "steps[0].into",
            ),
            (
                {"format": 1, "steps": [{"drop_mounts": "m1"}]},
                "steps[0].drop_mounts",
            ),
            (
                {"format": 1, "steps": [{"drop_mounts": ["m1", 2]}]},
                "steps[0].drop_mounts[1]",
            ),
            (
                {"format": 1, "steps": [{"drop_mounts": []}]},
                "steps[0].drop_mounts",
            ),
            (
                {"format": 1, "steps": [{"drop_types": ["nope"]}]},
                "steps[0].drop_types[0]",
            ),
            (
                {"format": 1, "steps": [{"map_clients": ["a"]}]},
                "steps[0].map_clients",
            ),
            (
                {"format": 1, "steps": [{"map_clients": {"a": 1}}]},
                "steps[0].map_clients.a",
            ),
            (
                {"format": 1, "steps": [{"map_clients": {}}]},
                "steps[0].map_clients",
            ),
            (
                {
                    "format": 1,
                    "steps": [
                        {"drop_types": ["entity"]},
                        {"map_clients": {"a": "b"}, "client_type": "user"},
                    ],
                },
                "steps[1].client_type",
            ),
        ],
    )
    def test_malformed_documents_name_the_json_path(self, document, field):
        """
        Every malformed document raises MalformedRecordError at its path.
        """
        with pytest.raises(MalformedRecordError) as info:
            Scenario.from_mapping(document)

        assert info.value.field == field
        assert str(info.value).startswith(field)

    def test_text_that_is_not_json_is_malformed(self):
        """
        from_json refuses text that does not parse.
        """
        with pytest.raises(MalformedRecordError, match="must be JSON"):
            Scenario.from_json("{steps: ")

    def test_bytes_that_are_not_utf8_are_malformed(self):
        """
        from_json refuses undecodable bytes.
        """
        with pytest.raises(MalformedRecordError, match="must be JSON"):
            Scenario.from_json(b"\xff\xfe{")
