"""
Laws of what-if scenarios, checked against replayed, edited events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from clientid import (
    ActivityLog,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    HyperLogLog,
    MountAccessor,
    Namespace,
    NamespaceId,
    Scenario,
)
from clientid.errors import InvalidModelError

UTC = dt.UTC
FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2024, 3, 1)
MONTHS = 3

# root > n1 > n2, and n3; each mount belongs to one namespace.
KNOWN = (
    Namespace(id=NamespaceId("n1"), path="a/", parent_id=NamespaceId("root")),
    Namespace(id=NamespaceId("n2"), path="a/b/", parent_id=NamespaceId("n1")),
    Namespace(id=NamespaceId("n3"), path="c/", parent_id=NamespaceId("root")),
)
HOME = {"m1": "root", "m2": "n1", "m3": "n2", "m4": "n3"}
MOUNTS = tuple(
    AuthMount(
        accessor=MountAccessor(accessor),
        type="userpass",
        path=f"auth/{accessor}/",
        namespace_id=NamespaceId(home),
    )
    for accessor, home in HOME.items()
)
NAMESPACES = ["root", "n1", "n2", "n3"]
CHILDREN = ["n1", "n2", "n3"]
ACCESSORS = [*HOME, "m5"]

client_ids = st.text(alphabet="abcdef", min_size=1, max_size=2)


@st.composite
def homed_clients(draw) -> Client:
    """A client on a mount of its own namespace (or of no mount)."""
    accessor = draw(st.sampled_from([None, *HOME]))
    namespace = (
        draw(st.sampled_from(NAMESPACES))
        if accessor is None
        else HOME[accessor]
    )
    return Client(
        id=ClientId(draw(client_ids)),
        type=draw(st.sampled_from(ClientType)),
        namespace_id=NamespaceId(namespace),
        mount_accessor=None if accessor is None else MountAccessor(accessor),
    )


free_clients = st.builds(
    Client,
    id=client_ids.map(ClientId),
    type=st.sampled_from(ClientType),
    namespace_id=st.sampled_from([*NAMESPACES, "gone"]).map(NamespaceId),
    mount_accessor=st.sampled_from([None, *ACCESSORS]).map(
        lambda m: None if m is None else MountAccessor(m)
    ),
)


@st.composite
def event_lists(draw, clients=free_clients, once_a_month=False):
    """(client, month, second) with distinct seconds: no ties to break."""
    drawn = draw(
        st.lists(
            st.tuples(clients, st.integers(min_value=0, max_value=MONTHS - 1)),
            max_size=30,
        )
    )
    if once_a_month:
        seen: dict[tuple[str, int], tuple[Client, int]] = {}
        for client, month in drawn:
            seen.setdefault((client.id, month), (client, month))
        drawn = list(seen.values())
    seconds = draw(st.permutations(range(len(drawn))))
    return [
        (client, month, second)
        for (client, month), second in zip(drawn, seconds, strict=True)
    ]


regroup_steps = st.one_of(
    st.tuples(
        st.just("move_mount"),
        st.sampled_from(ACCESSORS),
        st.sampled_from(NAMESPACES),
    ),
    st.tuples(
        st.just("move_namespace"),
        st.sampled_from(CHILDREN),
        st.sampled_from(NAMESPACES),
    ),
    st.tuples(
        st.just("merge_namespaces"),
        st.sampled_from([*CHILDREN, "gone"]),
        st.sampled_from(NAMESPACES),
    ),
)
drop_steps = st.one_of(
    st.tuples(
        st.just("delete_namespace"), st.sampled_from([*CHILDREN, "gone"])
    ),
    st.tuples(
        st.just("drop_mounts"),
        st.lists(st.sampled_from(ACCESSORS), min_size=1, max_size=2),
    ),
    st.tuples(
        st.just("drop_types"),
        st.lists(st.sampled_from(ClientType), min_size=1, max_size=2),
    ),
)
map_steps = st.tuples(
    st.just("map_clients"),
    st.dictionaries(client_ids, client_ids, min_size=1, max_size=4),
    st.sampled_from([None, *ClientType]),
)


def build_scenario(steps) -> Scenario:
    scenario = Scenario()
    for name, *args in steps:
        match name:
            case "move_mount" | "move_namespace":
                scenario = getattr(scenario, name)(args[0], to=args[1])
            case "merge_namespaces":
                assume(args[0] != args[1])
                scenario = scenario.merge_namespaces(args[0], into=args[1])
            case "delete_namespace":
                scenario = scenario.delete_namespace(args[0])
            case "drop_mounts":
                scenario = scenario.drop_mounts(*args[0])
            case "drop_types":
                scenario = scenario.drop_types(*args[0])
            case _:
                scenario = scenario.map_clients(args[0], client_type=args[1])
    return scenario


def moment(month: int, second: int) -> dt.datetime:
    return dt.datetime(2024, month + 1, 1, tzinfo=UTC) + dt.timedelta(
        seconds=second
    )


def build(events, namespaces=KNOWN, mounts=MOUNTS) -> ActivityLog:
    log = ActivityLog(namespaces=namespaces, mounts=mounts)
    for client, month, second in events:
        log.record(client, moment(month, second))
    return log


def report(log: ActivityLog, scenario: Scenario | None = None):
    try:
        return log.report(FIRST, LAST, scenario=scenario)
    except InvalidModelError:
        # A step named a namespace the edited world no longer has.
        assume(False)
        raise


def applied(scenario: Scenario):
    try:
        return scenario._applied_to((Namespace.root(), *KNOWN), MOUNTS)
    except InvalidModelError:
        assume(False)
        raise


class Reference:
    """
    The scenario's edit of one event, written out the slow, obvious way.
    """

    def __init__(self, steps) -> None:
        self.steps = steps

    def edit(self, client: Client) -> Client | None:
        parent = {ns.id: ns.parent_id for ns in KNOWN}
        record: list[Any] = [
            client.id,
            client.type,
            client.namespace_id,
            client.mount_accessor,
        ]
        for name, *args in self.steps:
            if not self.tree_step(name, args, record, parent):
                return None
            if not self.record_step(name, args, record):
                return None
        client_id, client_type, namespace, accessor = record
        return Client(
            id=ClientId(client_id),
            type=client_type,
            namespace_id=NamespaceId(namespace),
            mount_accessor=accessor,
        )

    def tree_step(self, name, args, record, parent) -> bool:
        """Steps that change the namespace tree; False drops the record."""
        if name == "move_namespace":
            parent[args[0]] = args[1]
        elif name == "merge_namespaces":
            for child, up in list(parent.items()):
                if up == args[0]:
                    parent[child] = args[1]
            parent.pop(args[0], None)
            if record[2] == args[0]:
                record[2] = args[1]
        elif name == "delete_namespace":
            if self.inside(record[2], args[0], parent):
                return False
            for ns in [
                ns for ns in parent if self.inside(ns, args[0], parent)
            ]:
                del parent[ns]
        return True

    @staticmethod
    def record_step(name, args, record) -> bool:
        """Steps on the record alone; False drops it."""
        if name == "move_mount" and record[3] == args[0]:
            record[2] = args[1]
        elif name == "map_clients" and record[0] in args[0]:
            record[0] = args[0][record[0]]
            record[1] = args[1] or record[1]
        return not (
            (name == "drop_mounts" and record[3] in args[0])
            or (name == "drop_types" and record[1] in args[0])
        )

    @staticmethod
    def inside(namespace, top, parent) -> bool:
        while namespace is not None:
            if namespace == top:
                return True
            namespace = parent.get(namespace)
        return False


def replayed(events, steps, scenario: Scenario):
    """The report of a log fed the edited events."""
    applied_world = applied(scenario)
    reference = Reference(steps)
    edited = []
    for client, month, second in events:
        changed = reference.edit(client)
        if changed is not None:
            edited.append((changed, month, second))
    log = build(edited, applied_world.namespaces, applied_world.mounts)
    return log.report(FIRST, LAST)


class TestRegroupings:
    """
    "Within one calendar month the activity log de-duplicates on the client
    ID string alone" (spec §1): moving attributions moves no client in or out.
    """

    @given(
        event_lists(),
        st.lists(regroup_steps, min_size=1, max_size=3),
    )
    def test_a_regrouping_preserves_the_distinct_total(self, events, steps):
        log = build(events)
        scenario = build_scenario(steps)

        assert report(log, scenario).distinct == report(log).distinct

    @given(
        st.lists(
            st.tuples(client_ids, st.sampled_from(list(HOME))),
            min_size=1,
            max_size=20,
        ),
        st.lists(
            st.tuples(client_ids, st.sampled_from(list(HOME))), max_size=20
        ),
        st.lists(regroup_steps, min_size=1, max_size=3),
    )
    def test_a_regrouping_preserves_the_distinct_total_of_sketches(
        self, sketched, exact, steps
    ):
        log = ActivityLog(namespaces=KNOWN, mounts=MOUNTS)
        for client_id, accessor in exact:
            log.record(
                Client(
                    id=ClientId(client_id),
                    type=ClientType.ENTITY,
                    namespace_id=NamespaceId(HOME[accessor]),
                    mount_accessor=MountAccessor(accessor),
                ),
                moment(0, 0),
            )
        for client_id, accessor in sketched:
            sketch = HyperLogLog(10)
            sketch.add(client_id)
            log.record_sketch(
                FIRST,
                namespace_id=NamespaceId(HOME[accessor]),
                mount_accessor=MountAccessor(accessor),
                client_type=ClientType.ENTITY,
                sketch=sketch,
            )
        scenario = build_scenario(steps)

        assert report(log, scenario).distinct == report(log).distinct

    @given(
        event_lists(homed_clients()),
        st.sampled_from(list(HOME)),
        st.sampled_from(NAMESPACES),
    )
    def test_moving_a_mount_there_and_back_is_the_identity(
        self, events, accessor, elsewhere
    ):
        log = build(events)
        there_and_back = (
            Scenario()
            .move_mount(accessor, to=elsewhere)
            .move_mount(accessor, to=HOME[accessor])
        )

        assert report(log, there_and_back) == report(log)

    @given(
        event_lists(),
        st.sampled_from(CHILDREN),
        st.sampled_from(NAMESPACES),
    )
    def test_moving_a_namespace_there_and_back_is_the_identity(
        self, events, namespace, elsewhere
    ):
        home = {ns.id: ns.parent_id or "root" for ns in KNOWN}[namespace]
        log = build(events)
        there_and_back = (
            Scenario()
            .move_namespace(namespace, to=elsewhere)
            .move_namespace(namespace, to=home)
        )

        assert report(log, there_and_back) == report(log)


class TestAgainstReplay:
    """
    "Within a month a client is attributed to the namespace/mount/timestamp
    of its first use" (spec §2.3): a scenario over exact months is the log
    of the edited events.
    """

    @given(
        event_lists(),
        st.lists(st.one_of(regroup_steps, map_steps), max_size=3),
    )
    def test_regroupings_and_maps_equal_replaying_edited_events(
        self, events, steps
    ):
        scenario = build_scenario(steps)

        assert report(build(events), scenario) == replayed(
            events, steps, scenario
        )

    @given(
        event_lists(once_a_month=True),
        st.lists(st.one_of(regroup_steps, drop_steps, map_steps), max_size=4),
    )
    def test_every_step_equals_replay_when_each_record_is_a_first_use(
        self, events, steps
    ):
        # Drops act on the stored first use of a month; with one event per
        # client and month, every event is a first use.
        scenario = build_scenario(steps)

        assert report(build(events), scenario) == replayed(
            events, steps, scenario
        )

    @given(
        event_lists(),
        st.lists(st.one_of(regroup_steps, map_steps), max_size=3),
        st.lists(st.one_of(regroup_steps, map_steps), max_size=3),
    )
    def test_a_or_b_is_b_applied_to_the_world_a_made(
        self, events, first, second
    ):
        a, b = build_scenario(first), build_scenario(second)
        world = applied(a)
        reference = Reference(first)
        edited = [
            (changed, month, second)
            for client, month, second in events
            if (changed := reference.edit(client)) is not None
        ]
        after_a = build(edited, world.namespaces, world.mounts)

        assert report(build(events), a | b) == report(after_a, b)
