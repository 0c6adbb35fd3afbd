"""
What-if scenarios: edits of the recorded world, applied to reports.

A :class:`Scenario` is a sequence of steps.  Applied to an activity log, it
edits every stored record (client ID, client type, namespace, mount) by
running the steps in order, and edits the namespaces and mounts the log
knows the same way; within each month the client's first use then wins its
attribution among the edited records, as Vault's first-use rule would have
decided had the scenario held all along.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, TypeAlias, final

import attrs

from clientid.errors import InvalidModelError, MalformedRecordError
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    ClientId,
    ClientType,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import AuthMount, Namespace

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Scenario"]

#: The JSON form's format number.
SCENARIO_FORMAT: Final = 1

# An attribution cell: namespace ID, mount accessor ("" for none), type.
Cell: TypeAlias = tuple[NamespaceId, str, ClientType]


@final
@attrs.frozen(kw_only=True)
class _MoveMount:
    accessor: MountAccessor
    to: NamespaceId

    def apply(self, world: _World) -> _Edit:
        world.known("move_mount.to", self.to)
        mount = world.mounts.get(self.accessor)
        if mount is not None:
            world.mounts[self.accessor] = attrs.evolve(
                mount, namespace_id=self.to
            )
        accessor, to = self.accessor, self.to
        return _regroup(
            lambda cell: (
                (to, cell[1], cell[2]) if cell[1] == accessor else cell
            )
        )

    def to_mapping(self) -> dict[str, object]:
        return {"move_mount": self.accessor, "to": self.to}


@final
@attrs.frozen(kw_only=True)
class _MoveNamespace:
    namespace_id: NamespaceId
    to: NamespaceId

    def apply(self, world: _World) -> _Edit:
        top = world.known("move_namespace.namespace_id", self.namespace_id)
        parent = world.known("move_namespace.to", self.to)
        world.check_not_inside("move_namespace.to", parent, top)
        world.rehome(top, parent)
        return _unchanged

    def to_mapping(self) -> dict[str, object]:
        return {"move_namespace": self.namespace_id, "to": self.to}


@final
@attrs.frozen(kw_only=True)
class _DeleteNamespace:
    namespace_id: NamespaceId

    def apply(self, world: _World) -> _Edit:
        top = world.namespaces.get(self.namespace_id)
        gone = {self.namespace_id}
        if top is not None:
            gone |= {ns.id for ns in world.subtree(top)}
        for ns_id in gone:
            world.namespaces.pop(ns_id, None)
        for accessor, mount in list(world.mounts.items()):
            if mount.namespace_id in gone:
                del world.mounts[accessor]
        return _regroup(lambda cell: None if cell[0] in gone else cell)

    def to_mapping(self) -> dict[str, object]:
        return {"delete_namespace": self.namespace_id}


@final
@attrs.frozen(kw_only=True)
class _MergeNamespaces:
    namespace_id: NamespaceId
    into: NamespaceId

    def apply(self, world: _World) -> _Edit:
        source, into = self.namespace_id, self.into
        target = world.known("merge_namespaces.into", into)
        top = world.namespaces.get(source)
        world.check_not_inside("merge_namespaces.into", target, top)
        if top is not None:
            children = [
                ns
                for ns in world.namespaces.values()
                if ns.parent_id == source
            ]
            for child in children:
                world.rehome(child, target)
            del world.namespaces[source]
        for accessor, mount in list(world.mounts.items()):
            if mount.namespace_id == source:
                world.mounts[accessor] = attrs.evolve(mount, namespace_id=into)
        return _regroup(
            lambda cell: (
                (into, cell[1], cell[2]) if cell[0] == source else cell
            )
        )

    def to_mapping(self) -> dict[str, object]:
        return {"merge_namespaces": self.namespace_id, "into": self.into}


@final
@attrs.frozen(kw_only=True)
class _DropMounts:
    accessors: frozenset[MountAccessor]

    def apply(self, world: _World) -> _Edit:  # noqa: ARG002
        accessors = self.accessors
        return _regroup(lambda cell: None if cell[1] in accessors else cell)

    def to_mapping(self) -> dict[str, object]:
        return {"drop_mounts": sorted(self.accessors)}


@final
@attrs.frozen(kw_only=True)
class _DropTypes:
    types: frozenset[ClientType]

    def apply(self, world: _World) -> _Edit:  # noqa: ARG002
        types = self.types
        return _regroup(lambda cell: None if cell[2] in types else cell)

    def to_mapping(self) -> dict[str, object]:
        return {"drop_types": sorted(t.value for t in self.types)}


@final
@attrs.frozen(kw_only=True)
class _MapClients:
    # Sorted (source, target) pairs: hashable, and equal for equal maps.
    mapping: tuple[tuple[ClientId, ClientId], ...]
    client_type: ClientType | None

    def apply(self, world: _World) -> _Edit:  # noqa: ARG002
        return _mapper(dict(self.mapping), self.client_type)

    def to_mapping(self) -> dict[str, object]:
        out: dict[str, object] = {"map_clients": dict(self.mapping)}
        if self.client_type is not None:
            out["client_type"] = self.client_type.value
        return out


_Step: TypeAlias = (
    _MoveMount
    | _MoveNamespace
    | _DeleteNamespace
    | _MergeNamespaces
    | _DropMounts
    | _DropTypes
    | _MapClients
)


def _checked_id(field: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidModelError(field, value, "must be a non-empty string")
    return value


def _checked_child(field: str, value: object) -> NamespaceId:
    checked = NamespaceId(_checked_id(field, value))
    if checked == ROOT_NAMESPACE_ID:
        raise InvalidModelError(field, value, "must not be the root namespace")
    return checked


def _checked_type(field: str, value: object) -> ClientType:
    if not isinstance(value, ClientType):
        raise InvalidModelError(field, value, "must be a ClientType")
    return value


@final
@attrs.frozen(kw_only=True)
class Scenario:
    """
    A what-if: edits of namespaces, mounts, client types and client IDs.

    Build one from the empty scenario, step by step; every method returns a
    new scenario with one more step::

        s = (
            Scenario()
            .move_mount("auth_approle_1", to="root")
            .merge_namespaces("nsB", into="nsA")
            .drop_types(ClientType.ACME)
        )
        log.report(start, end, scenario=s)

    **Order.** Steps run in the order they were added, on each stored
    record (one per client and month: its first use) and on the namespaces
    and mounts the log knows.  ``a | b`` and ``a.then(b)`` run *a*'s steps,
    then *b*'s: the edit "*a*, then *b*" (so ``|`` is associative, and the
    empty scenario is its identity, but it is not commutative: moving a
    mount into a namespace and then deleting the namespace drops the
    mount's clients; deleting first, then moving, keeps them).  After the
    edits, each client's earliest edited record of a month wins its
    attribution, as Vault's first-use rule does.

    **Regroupings.** Every step but :meth:`map_clients` is a function of the
    record's attribution cell (namespace, mount, type) alone; a scenario of
    such steps also applies to months held as sketches (unions of the
    cells' sketches).  :meth:`map_clients` needs client IDs, and a report
    over a sketched month with it raises
    :class:`~clientid.errors.SketchedMonthError`.

    **Drops act on attribution.** Vault (like the log) keeps one record per
    client and month, its first use.  Dropping a mount, a type or a
    namespace removes the clients *attributed* to it that month; a client
    whose first use was on a dropped mount and who later used another mount
    in the same month is not re-attributed, because no record of that later
    use exists.

    **Client IDs are kept.**  Moving a mount or merging namespaces keeps
    client IDs, although Vault derives a non-entity token's ID from its
    namespace ID, so a token moved to another namespace would get a new
    ID there (and may share it with that namespace's tokens of the same
    policies).  Model such merges with :meth:`map_clients`.

    The JSON form (:meth:`from_mapping`, :meth:`from_json`,
    :meth:`to_mapping`) is ``{"format": 1, "steps": [...]}`` with one object
    per step, named by its method; see the what-if guide.
    """

    #: The steps, in order.  Build them with the methods, not by hand.
    steps: tuple[_Step, ...] = ()

    # -- building ----------------------------------------------------------

    def _with(self, step: _Step) -> Scenario:
        return Scenario(steps=(*self.steps, step))

    def move_mount(self, accessor: str, *, to: str) -> Scenario:
        """
        Move a mount (its clients) into namespace *to*.

        Clients attributed to the mount, in whatever namespace, are
        attributed to *to*; the log's knowledge of the mount moves too.
        *to* must be a namespace the log knows when the step runs.

        Raises:
            InvalidModelError: An argument is not a non-empty string.
        """
        return self._with(
            _MoveMount(
                accessor=MountAccessor(
                    _checked_id("move_mount.accessor", accessor)
                ),
                to=NamespaceId(_checked_id("move_mount.to", to)),
            )
        )

    def move_namespace(self, namespace_id: str, *, to: str) -> Scenario:
        """
        Make a namespace (with its descendants) a child of namespace *to*.

        Its clients stay attributed to it (namespace IDs do not change):
        what changes are paths, and which reports a scope includes.  Both
        namespaces must be known to the log; *to* must not lie inside the
        moved namespace.

        Raises:
            InvalidModelError: An argument is empty, or the namespace is
                root.
        """
        return self._with(
            _MoveNamespace(
                namespace_id=_checked_child(
                    "move_namespace.namespace_id", namespace_id
                ),
                to=NamespaceId(_checked_id("move_namespace.to", to)),
            )
        )

    def delete_namespace(self, namespace_id: str) -> Scenario:
        """
        Delete a namespace and its descendants, with their clients.

        Raises:
            InvalidModelError: The ID is empty or root.
        """
        return self._with(
            _DeleteNamespace(
                namespace_id=_checked_child(
                    "delete_namespace.namespace_id", namespace_id
                )
            )
        )

    def merge_namespaces(self, namespace_id: str, *, into: str) -> Scenario:
        """
        Merge a namespace into another: its clients, mounts and children.

        The merged namespace disappears; a client seen in both counts once
        in *into*.  *into* must be known to the log and must not lie inside
        the merged namespace; the merged one may be unknown (a deleted
        namespace with records).

        Raises:
            InvalidModelError: An argument is empty, the merged namespace
                is root, or both are the same.
        """
        source = _checked_child("merge_namespaces.namespace_id", namespace_id)
        target = NamespaceId(_checked_id("merge_namespaces.into", into))
        if source == target:
            field, rule = (
                "merge_namespaces.into",
                "must differ from the source",
            )
            raise InvalidModelError(field, into, rule)
        return self._with(_MergeNamespaces(namespace_id=source, into=target))

    def drop_mounts(self, *accessors: str) -> Scenario:
        """
        Drop the clients attributed to these mounts.

        Raises:
            InvalidModelError: No accessor, or one is empty.
        """
        if not accessors:
            field, rule = "drop_mounts", "must name at least one mount"
            raise InvalidModelError(field, accessors, rule)
        return self._with(
            _DropMounts(
                accessors=frozenset(
                    MountAccessor(_checked_id("drop_mounts", accessor))
                    for accessor in accessors
                )
            )
        )

    def drop_types(self, *client_types: ClientType) -> Scenario:
        """
        Drop the clients of these client types.

        Raises:
            InvalidModelError: No type, or one is not a ClientType.
        """
        if not client_types:
            field, rule = "drop_types", "must name at least one client type"
            raise InvalidModelError(field, client_types, rule)
        return self._with(
            _DropTypes(
                types=frozenset(
                    _checked_type("drop_types", client_type)
                    for client_type in client_types
                )
            )
        )

    def map_clients(
        self,
        mapping: Mapping[str, str],
        *,
        client_type: ClientType | None = None,
    ) -> Scenario:
        """
        Map client IDs to other client IDs, many to one.

        Every record of a source ID becomes a record of its target ID (and,
        if *client_type* is given, of that type; otherwise it keeps its
        own).  The map applies once, to the IDs as the step finds them:
        ``{"a": "b", "b": "c"}`` sends ``a`` to ``b`` and ``b`` to ``c``;
        chain two steps to send ``a`` to ``c``.  For example, "these
        non-entity tokens become one entity"::

            s.map_clients({t: "entity-1" for t in tokens},
                          client_type=ClientType.ENTITY)

        Raises:
            InvalidModelError: The mapping is empty or not a mapping of
                non-empty strings, or *client_type* is not a ClientType.
        """
        given: object = mapping
        if not isinstance(given, Mapping) or not given:
            field, rule = "map_clients.mapping", "must be a non-empty mapping"
            raise InvalidModelError(field, mapping, rule)
        pairs = tuple(
            sorted(
                (
                    ClientId(_checked_id("map_clients.mapping", source)),
                    ClientId(_checked_id("map_clients.mapping", target)),
                )
                for source, target in mapping.items()
            )
        )
        if client_type is not None:
            _checked_type("map_clients.client_type", client_type)
        return self._with(_MapClients(mapping=pairs, client_type=client_type))

    def then(self, other: Scenario) -> Scenario:
        """
        Return this scenario's steps followed by *other*'s.

        Raises:
            InvalidModelError: *other* is not a Scenario.
        """
        given: object = other
        if not isinstance(given, Scenario):
            field, rule = "other", "must be a Scenario"
            raise InvalidModelError(field, given, rule)
        return Scenario(steps=(*self.steps, *given.steps))

    def __or__(self, other: object) -> Scenario:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.then(other)

    @property
    def is_regrouping(self) -> bool:
        """
        Whether every step is a function of the attribution cell alone.

        Such scenarios apply to sketched months too.
        """
        return not any(isinstance(step, _MapClients) for step in self.steps)

    # -- the JSON form -------------------------------------------------

    def to_mapping(self) -> dict[str, object]:
        """
        Return the JSON form: ``{"format": 1, "steps": [...]}``.
        """
        return {
            "format": SCENARIO_FORMAT,
            "steps": [step.to_mapping() for step in self.steps],
        }

    @classmethod
    def from_mapping(cls, mapping: object) -> Scenario:
        """
        Read the JSON form (already parsed).

        Raises:
            MalformedRecordError: The input is not a scenario; the error
                names the JSON path (``steps[2].to``), the rule and the
                value.
        """
        if not isinstance(mapping, Mapping):
            field, reason = "$", "must be a JSON object"
            raise MalformedRecordError(field, reason, mapping)
        unknown = sorted(set(mapping) - {"format", "steps"})
        if unknown:
            field, reason = unknown[0], "is not a scenario key"
            raise MalformedRecordError(field, reason, mapping[unknown[0]])
        if mapping.get("format") != SCENARIO_FORMAT:
            field, reason = "format", f"must be {SCENARIO_FORMAT}"
            raise MalformedRecordError(field, reason, mapping.get("format"))
        steps = mapping.get("steps")
        if not isinstance(steps, list):
            field, reason = "steps", "must be a JSON array"
            raise MalformedRecordError(field, reason, steps)
        scenario = cls()
        for index, step in enumerate(steps):
            scenario = _read_step(scenario, f"steps[{index}]", step)
        return scenario

    @classmethod
    def from_json(cls, text: str | bytes) -> Scenario:
        """
        Read the JSON form from text (a ``SCENARIO.json`` file's content).

        Raises:
            MalformedRecordError: The text is not JSON, or not a scenario.
        """
        try:
            parsed = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            field, reason = "$", f"must be JSON ({exc})"
            raise MalformedRecordError(field, reason, text[:80]) from exc
        return cls.from_mapping(parsed)

    # -- applying --------------------------------------------------------

    def _applied_to(
        self,
        namespaces: Iterable[Namespace],
        mounts: Iterable[AuthMount],
    ) -> _AppliedScenario:
        """
        Run the steps over a log's knowledge (for ActivityLog.report).

        Raises:
            InvalidModelError: A step names a namespace the world does not
                know where it must, or would make a namespace its own
                ancestor.
        """
        world = _World(
            {ns.id: ns for ns in namespaces},
            {mount.accessor: mount for mount in mounts},
        )
        edits = [step.apply(world) for step in self.steps]
        return _AppliedScenario(
            namespaces=tuple(world.namespaces.values()),
            mounts=tuple(world.mounts.values()),
            edits=tuple(edits),
            maps_clients=not self.is_regrouping,
        )


# A record edit: (client ID, cell) -> the edited pair, or None (dropped).
_Record: TypeAlias = tuple[str, Cell]
_Edit: TypeAlias = "Callable[[str, Cell], _Record | None]"


@final
@attrs.frozen(kw_only=True)
class _AppliedScenario:
    """
    A scenario run over a log's knowledge: the edited world and edits.
    """

    namespaces: tuple[Namespace, ...]
    mounts: tuple[AuthMount, ...]
    edits: tuple[Callable[[str, Cell], _Record | None], ...]
    maps_clients: bool

    def edit(self, client_id: str, cell: Cell) -> _Record | None:
        """
        Edit one record; ``None`` if a step dropped it.
        """
        record: _Record | None = (client_id, cell)
        for edit in self.edits:
            if record is None:
                return None
            record = edit(*record)
        return record


class _World:
    """The namespaces and mounts as the steps so far left them."""

    def __init__(
        self,
        namespaces: dict[NamespaceId, Namespace],
        mounts: dict[MountAccessor, AuthMount],
    ) -> None:
        self.namespaces = namespaces
        self.mounts = mounts

    def known(self, field: str, namespace_id: NamespaceId) -> Namespace:
        namespace = self.namespaces.get(namespace_id)
        if namespace is None:
            rule = "must name a namespace the log knows at this step"
            raise InvalidModelError(field, namespace_id, rule)
        return namespace

    def subtree(self, top: Namespace) -> list[Namespace]:
        return [
            ns
            for ns in self.namespaces.values()
            if ns.is_descendant_or_self_of(top)
        ]

    def rehome(self, top: Namespace, parent: Namespace) -> None:
        """Make *top* a child of *parent*, rewriting the subtree's paths."""
        old = top.path
        new = parent.path + old.rstrip("/").rsplit("/", 1)[-1] + "/"
        for ns in self.subtree(top):
            moved = attrs.evolve(ns, path=new + ns.path[len(old) :])
            if ns.id == top.id:
                moved = attrs.evolve(moved, parent_id=parent.id)
            self.namespaces[ns.id] = moved

    @staticmethod
    def check_not_inside(
        field: str, target: Namespace, top: Namespace | None
    ) -> None:
        if top is not None and target.is_descendant_or_self_of(top):
            rule = f"must not lie inside namespace {top.id!r}"
            raise InvalidModelError(field, target.id, rule)


def _unchanged(client_id: str, cell: Cell) -> _Record:
    return client_id, cell


def _regroup(move: Callable[[Cell], Cell | None]) -> _Edit:
    def edit(client_id: str, cell: Cell) -> _Record | None:
        moved = move(cell)
        return None if moved is None else (client_id, moved)

    return edit


def _mapper(mapping: dict[str, str], client_type: ClientType | None) -> _Edit:
    def edit(client_id: str, cell: Cell) -> _Record:
        target = mapping.get(client_id)
        if target is None:
            return client_id, cell
        if client_type is not None:
            cell = (cell[0], cell[1], client_type)
        return target, cell

    return edit


# -- the JSON form, step by step ------------------------------------------


def _text(path: str, value: object) -> str:
    if not isinstance(value, str):
        raise MalformedRecordError(path, "must be a JSON string", value)
    return value


def _array(path: str, value: object) -> list[object]:
    if not isinstance(value, list):
        raise MalformedRecordError(path, "must be a JSON array", value)
    return value


def _read_type(path: str, value: object) -> ClientType:
    try:
        return ClientType(value)
    except ValueError:
        reason = "must be one of " + ", ".join(t.value for t in ClientType)
        raise MalformedRecordError(path, reason, value) from None


def _read_map(
    scenario: Scenario, path: str, step: Mapping[str, object]
) -> Scenario:
    value = step["map_clients"]
    if not isinstance(value, Mapping):
        field, reason = f"{path}.map_clients", "must be a JSON object"
        raise MalformedRecordError(field, reason, value)
    mapping = {
        key: _text(f"{path}.map_clients.{key}", target)
        for key, target in value.items()
    }
    raw_type = step.get("client_type")
    client_type = (
        None
        if raw_type is None
        else _read_type(f"{path}.client_type", raw_type)
    )
    return scenario.map_clients(mapping, client_type=client_type)


def _read_drop_types(
    scenario: Scenario, path: str, step: Mapping[str, object]
) -> Scenario:
    where = f"{path}.drop_types"
    items = _array(where, step["drop_types"])
    return scenario.drop_types(
        *(_read_type(f"{where}[{i}]", item) for i, item in enumerate(items))
    )


def _read_drop_mounts(
    scenario: Scenario, path: str, step: Mapping[str, object]
) -> Scenario:
    where = f"{path}.drop_mounts"
    items = _array(where, step["drop_mounts"])
    return scenario.drop_mounts(
        *(_text(f"{where}[{i}]", item) for i, item in enumerate(items))
    )


def _reader(
    name: str, other: str | None
) -> Callable[[Scenario, str, Mapping[str, object]], Scenario]:
    """A reader for a step of one ID (and one more keyword, *other*)."""

    def read(
        scenario: Scenario, path: str, step: Mapping[str, object]
    ) -> Scenario:
        value = _text(f"{path}.{name}", step[name])
        method = getattr(scenario, name)
        if other is None:
            built: Scenario = method(value)
        else:
            built = method(
                value, **{other: _text(f"{path}.{other}", step[other])}
            )
        return built

    return read


#: Each step's name, the other keys it takes, and its reader.
_STEPS: Final[
    dict[
        str,
        tuple[
            frozenset[str],
            Callable[[Scenario, str, Mapping[str, object]], Scenario],
        ],
    ]
] = {
    "move_mount": (frozenset({"to"}), _reader("move_mount", "to")),
    "move_namespace": (frozenset({"to"}), _reader("move_namespace", "to")),
    "delete_namespace": (frozenset(), _reader("delete_namespace", None)),
    "merge_namespaces": (
        frozenset({"into"}),
        _reader("merge_namespaces", "into"),
    ),
    "drop_mounts": (frozenset(), _read_drop_mounts),
    "drop_types": (frozenset(), _read_drop_types),
    "map_clients": (frozenset({"client_type"}), _read_map),
}
#: The keywords a step must have (client_type is optional).
_OPTIONAL: Final = frozenset({"client_type"})


def _read_step(scenario: Scenario, path: str, step: object) -> Scenario:
    if not isinstance(step, Mapping):
        raise MalformedRecordError(path, "must be a JSON object", step)
    names = [key for key in step if key in _STEPS]
    if len(names) != 1:
        reason = "must name exactly one step of " + ", ".join(_STEPS)
        raise MalformedRecordError(path, reason, sorted(step))
    name = names[0]
    keys, read = _STEPS[name]
    extra = sorted(set(step) - {name} - keys)
    if extra:
        field, reason = f"{path}.{extra[0]}", f"is not a key of a {name} step"
        raise MalformedRecordError(field, reason, step[extra[0]])
    for key in sorted(keys - _OPTIONAL - set(step)):
        field, reason = f"{path}.{key}", f"is required by {name}"
        raise MalformedRecordError(field, reason)
    try:
        return read(scenario, path, step)
    except InvalidModelError as exc:
        # "move_mount.to" -> "steps[0].to"; "drop_mounts" -> the step's key.
        suffix = exc.field.rpartition(".")[2]
        key = suffix if suffix in keys else name
        field = f"{path}.{key}"
        raise MalformedRecordError(field, exc.rule, exc.value) from exc
