"""
A Hypothesis state machine driving the identity store through random APIs.

After every step the store's invariants hold: alias keys are unique, an
entity holds at most one alias per mount, groups form no cycle, every
index agrees with the objects, and a snapshot round-trips.  Every refused
operation leaves the snapshot exactly as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from clientid import (
    AliasId,
    EntityId,
    GroupId,
    GroupType,
    IdentityStore,
    LoginResult,
    MountAccessor,
    NamespaceId,
    Token,
    TokenRole,
)
from clientid.errors import IdentityError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

ROOT = NamespaceId("root")
ROOT_TOKEN = Token(policies=("root",))

names = st.sampled_from(["alice", "Alice", "ALICE", "bob", "Bob", "carol"])
picks = st.integers(min_value=0, max_value=50)


def _pick(items: Sequence[str], index: int) -> str:
    return sorted(items)[index % len(items)] if items else "missing"


class IdentityMachine(RuleBasedStateMachine):
    """
    "An entity cannot have more than one alias for a particular
    authentication backend" (Vault identity docs); alias names match
    case-insensitively; group membership never forms a cycle.
    """

    store: IdentityStore
    mounts: list[MountAccessor]

    @initialize()
    def build(self) -> None:
        self.store = IdentityStore()
        self.ns1 = self.store.add_namespace("ns1").id
        self.mounts = [
            self.store.enable_auth("userpass").accessor,
            self.store.enable_auth("ldap").accessor,
            self.store.enable_auth(
                "userpass", path="loc", local=True
            ).accessor,
            self.store.enable_auth("userpass", namespace_id=self.ns1).accessor,
        ]
        self.store.add_token_role(
            TokenRole(name="ci", allowed_entity_aliases=("*",))
        )

    def _attempt(self, call: Callable[[], object]) -> None:
        before = self.store.snapshot()
        try:
            call()
        except IdentityError:
            assert before == self.store.snapshot()

    def _entity(self, index: int) -> EntityId:
        return EntityId(_pick(list(self._state().entities_by_id), index))

    def _state(self) -> _Index:
        return _Index(self.store)

    @rule(mount=picks, name=names, groups=st.lists(names, max_size=2))
    def login(self, mount: int, name: str, groups: list[str]) -> None:
        accessor = self.mounts[mount % len(self.mounts)]
        # A store rebuilt from the snapshot has no cached login results:
        # the same login must give an equal result and an equal state.
        before = self.store.snapshot()
        rebuilt = IdentityStore.from_snapshot(before)
        expected: LoginResult | None = None
        try:
            expected = rebuilt.login(accessor, name, group_aliases=groups)
        except IdentityError as error:
            expected_rule = error.rule
        else:
            expected_rule = ""
        try:
            actual = self.store.login(accessor, name, group_aliases=groups)
        except IdentityError as error:
            actual_rule = error.rule
        else:
            actual_rule = ""
            assert actual == expected
        assert actual_rule == expected_rule
        expected_state = before if expected_rule else rebuilt.snapshot()
        assert self.store.snapshot() == expected_state

    @rule(name=names, in_ns1=st.booleans(), policies=st.lists(names))
    def create_entity(self, name: str, in_ns1: bool, policies: list[str]):
        ns = self.ns1 if in_ns1 else ROOT
        self._attempt(
            lambda: self.store.create_entity(
                name=name, namespace_id=ns, policies=policies
            )
        )

    @rule(mount=picks, name=names, owner=picks, use_owner=st.booleans())
    def create_alias(
        self, mount: int, name: str, owner: int, use_owner: bool
    ) -> None:
        accessor = self.mounts[mount % len(self.mounts)]
        canonical = self._entity(owner) if use_owner else None
        self._attempt(
            lambda: self.store.create_entity_alias(
                mount_accessor=accessor, name=name, canonical_id=canonical
            )
        )

    @rule(alias=picks, owner=picks, name=st.none() | names)
    def update_alias(self, alias: int, owner: int, name: str | None) -> None:
        alias_id = AliasId(_pick(self._state().alias_ids, alias))
        target = self._entity(owner)
        self._attempt(
            lambda: self.store.update_entity_alias(
                alias_id, canonical_id=target, name=name
            )
        )

    @rule(alias=picks)
    def delete_alias(self, alias: int) -> None:
        alias_id = AliasId(_pick(self._state().alias_ids, alias))
        self._attempt(lambda: self.store.delete_entity_alias(alias_id))

    @rule(entity=picks, disabled=st.booleans())
    def toggle_entity(self, entity: int, disabled: bool) -> None:
        entity_id = self._entity(entity)
        self._attempt(
            lambda: self.store.update_entity(entity_id, disabled=disabled)
        )

    @rule(entity=picks)
    def delete_entity(self, entity: int) -> None:
        self.store.delete_entity(self._entity(entity))

    @rule(to=picks, sources=st.lists(picks, max_size=2), keep=picks)
    def merge(self, to: int, sources: list[int], keep: int) -> None:
        target = self._entity(to)
        from_ids = [self._entity(i) for i in sources]
        keep_ids = [AliasId(_pick(self._state().alias_ids, keep))]
        self._attempt(
            lambda: self.store.merge_entities(
                target,
                from_ids,
                conflicting_alias_ids_to_keep=keep_ids if keep % 2 else (),
            )
        )

    @rule(
        name=names,
        external=st.booleans(),
        members=st.lists(picks, max_size=2),
        children=st.lists(picks, max_size=2),
    )
    def create_group(
        self,
        name: str,
        external: bool,
        members: list[int],
        children: list[int],
    ) -> None:
        groups = self._state().group_ids
        self._attempt(
            lambda: self.store.create_group(
                name="g-" + name,
                type=GroupType.EXTERNAL if external else GroupType.INTERNAL,
                member_entity_ids=[self._entity(i) for i in members],
                member_group_ids=[GroupId(_pick(groups, i)) for i in children],
            )
        )

    @rule(group=picks, children=st.lists(picks, max_size=2))
    def regroup(self, group: int, children: list[int]) -> None:
        groups = self._state().group_ids
        group_id = GroupId(_pick(groups, group))
        self._attempt(
            lambda: self.store.update_group(
                group_id,
                member_group_ids=[GroupId(_pick(groups, i)) for i in children],
            )
        )

    @rule(mount=picks, name=names, group=picks)
    def create_group_alias(self, mount: int, name: str, group: int) -> None:
        accessor = self.mounts[mount % len(self.mounts)]
        group_id = GroupId(_pick(self._state().group_ids, group))
        self._attempt(
            lambda: self.store.create_group_alias(
                mount_accessor=accessor,
                name=name,
                canonical_id=group_id if group % 2 else None,
            )
        )

    @rule(name=names)
    def token_with_entity_alias(self, name: str) -> None:
        self._attempt(
            lambda: self.store.create_token(
                ROOT_TOKEN, role_name="ci", entity_alias=name
            )
        )

    @invariant()
    def indexes_agree(self) -> None:
        self.store._check()

    @invariant()
    def alias_keys_are_unique_and_one_per_mount(self) -> None:
        state = self.store.snapshot()
        keys = [
            (a.mount_accessor, a.name.lower()) for a in state.entity_aliases
        ]
        owners = [
            (a.canonical_id, a.mount_accessor) for a in state.entity_aliases
        ]

        assert len(keys) == len(set(keys))
        assert len(owners) == len(set(owners))

    @invariant()
    def groups_form_no_cycle(self) -> None:
        parents = {
            g.id: g.parent_group_ids for g in self.store.snapshot().groups
        }
        for start, direct in parents.items():
            seen: set[GroupId] = set()
            stack = list(direct)
            while stack:
                current = stack.pop()
                assert current != start
                if current in seen or current not in parents:
                    continue
                seen.add(current)
                stack.extend(parents[current])

    @invariant()
    def snapshot_round_trips(self) -> None:
        state = self.store.snapshot()

        assert IdentityStore.from_snapshot(state).snapshot() == state


class _Index:
    """Sorted IDs of the store's current objects."""

    def __init__(self, store: IdentityStore) -> None:
        state = store.snapshot()
        self.entities_by_id = [e.id for e in state.entities]
        self.alias_ids = [a.id for a in state.entity_aliases]
        self.group_ids = [g.id for g in state.groups]


# Examples come from the active profile (tests/conftest.py); a short run
# per example keeps the machine quick.
IdentityMachine.TestCase.settings = settings(stateful_step_count=20)
TestIdentityMachine = IdentityMachine.TestCase
