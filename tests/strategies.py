"""
Hypothesis strategies for clientid's model classes.

One strategy per model class, each building only valid objects.  Other test
modules import these; keep their names and meanings stable.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from clientid import (
    ROOT_NAMESPACE_ID,
    AcmeIdentifier,
    AcmeOrder,
    AliasId,
    AuthMount,
    Client,
    ClientId,
    ClientType,
    Entity,
    EntityAlias,
    EntityId,
    Group,
    GroupAlias,
    GroupId,
    GroupType,
    IdentityState,
    Metadata,
    MountAccessor,
    Namespace,
    NamespaceId,
    SecretSyncAssociation,
    Token,
    TokenRole,
    TokenType,
    freeze_metadata,
)
from clientid.model.records import TOKEN_ROLE_TYPES

__all__ = [
    "acme_identifiers",
    "acme_orders",
    "alias_ids",
    "auth_mounts",
    "aware_datetimes",
    "clients",
    "entities",
    "entity_aliases",
    "entity_ids",
    "group_aliases",
    "group_ids",
    "groups",
    "identity_states",
    "metadata",
    "model_objects",
    "mount_accessors",
    "mount_paths",
    "names",
    "namespace_ids",
    "namespaces",
    "policies",
    "policy_names",
    "secret_sync_associations",
    "token_roles",
    "tokens",
]

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SEGMENT = st.text(
    "abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8
)

#: Non-empty names of any Unicode text (Vault allows nearly anything).
names = st.text(min_size=1, max_size=20)

#: ``root`` or a Vault Enterprise style 5-character namespace ID.
namespace_ids = st.one_of(
    st.just(ROOT_NAMESPACE_ID),
    st.text(_ALNUM, min_size=5, max_size=5).map(NamespaceId),
)

#: Accessors shaped like Vault's (``auth_userpass_1a2b3c4d``).
mount_accessors = st.builds(
    lambda kind, suffix: MountAccessor(f"auth_{kind}_{suffix}"),
    st.sampled_from(["token", "userpass", "ldap", "approle", "kubernetes"]),
    st.text("0123456789abcdef", min_size=8, max_size=8),
)

#: UUID-shaped IDs.
entity_ids = st.uuids().map(lambda u: EntityId(str(u)))
alias_ids = st.uuids().map(lambda u: AliasId(str(u)))
group_ids = st.uuids().map(lambda u: GroupId(str(u)))

#: Policy names as a sanitised token stores them, plus odd ones.
policy_names = st.one_of(
    st.sampled_from(["default", "admin", "dev", "ops", "read-only", "kv"]),
    st.text(min_size=1, max_size=12),
)
#: A tuple of policy names (may repeat; order arbitrary).
policies = st.lists(policy_names, max_size=6).map(tuple)

#: Frozen metadata pairs, sorted by unique key.
metadata: st.SearchStrategy[Metadata] = st.dictionaries(
    st.text(max_size=8), st.text(max_size=8), max_size=4
).map(freeze_metadata)

_OFFSETS = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=2)),
        dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
    ]
)

#: Timezone-aware datetimes between 1970 and 2100.
aware_datetimes = st.datetimes(
    min_value=dt.datetime(1970, 1, 2),  # noqa: DTZ001 (bounds are naive)
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=_OFFSETS,
)

#: Mount paths relative to a namespace, ending in ``/``.
mount_paths = st.lists(_SEGMENT, min_size=1, max_size=3).map(
    lambda parts: "/".join(parts) + "/"
)


@st.composite
def namespaces(draw: st.DrawFn) -> Namespace:
    """Draw the root namespace or a child with a canonical path."""
    if draw(st.booleans()):
        return Namespace.root()
    own = NamespaceId(draw(st.text(_ALNUM, min_size=5, max_size=5)))
    parent = draw(namespace_ids.filter(lambda ns: ns != own))
    segments = draw(st.lists(_SEGMENT, min_size=1, max_size=3))
    return Namespace(id=own, path="/".join(segments) + "/", parent_id=parent)


auth_mounts = st.builds(
    AuthMount,
    accessor=mount_accessors,
    type=st.sampled_from(["userpass", "ldap", "token", "approle"]),
    path=mount_paths.map(lambda path: "auth/" + path),
    namespace_id=namespace_ids,
    local=st.booleans(),
)

entities = st.builds(
    Entity,
    id=entity_ids,
    name=names,
    namespace_id=namespace_ids,
    policies=policies,
    metadata=metadata,
    disabled=st.booleans(),
    merged_entity_ids=st.lists(entity_ids, max_size=2).map(tuple),
)

entity_aliases = st.builds(
    EntityAlias,
    id=alias_ids,
    canonical_id=entity_ids,
    mount_accessor=mount_accessors,
    name=names,
    namespace_id=namespace_ids,
    metadata=metadata,
    custom_metadata=metadata,
    local=st.booleans(),
    merged_from_canonical_ids=st.lists(entity_ids, max_size=2).map(tuple),
)

groups = st.builds(
    Group,
    id=group_ids,
    name=names,
    namespace_id=namespace_ids,
    type=st.sampled_from(GroupType),
    policies=policies,
    member_entity_ids=st.lists(entity_ids, max_size=3).map(tuple),
    parent_group_ids=st.lists(group_ids, max_size=2).map(tuple),
    metadata=metadata,
)

group_aliases = st.builds(
    GroupAlias,
    id=alias_ids,
    canonical_id=group_ids,
    mount_accessor=mount_accessors,
    name=names,
    namespace_id=namespace_ids,
)

tokens = st.builds(
    Token,
    namespace_id=namespace_ids,
    policies=policies,
    entity_id=st.none() | entity_ids,
    type=st.sampled_from(TokenType),
    accessor=st.none() | st.text(_ALNUM, min_size=24, max_size=24),
    orphan=st.booleans(),
    mount_accessor=st.none() | mount_accessors,
    role=st.none() | names,
    creation_time=st.none() | aware_datetimes,
    ignore_for_billing=st.booleans(),
)

token_roles = st.builds(
    TokenRole,
    name=names,
    namespace_id=namespace_ids,
    orphan=st.booleans(),
    allowed_policies=policies,
    disallowed_policies=policies,
    allowed_policies_glob=policies,
    disallowed_policies_glob=policies,
    token_type=st.sampled_from(sorted(TOKEN_ROLE_TYPES)),
    token_no_default_policy=st.booleans(),
    allowed_entity_aliases=st.lists(names, max_size=3).map(tuple),
)


@st.composite
def secret_sync_associations(draw: st.DrawFn) -> SecretSyncAssociation:
    """Draw an association, deleted no earlier than it was created."""
    created = draw(aware_datetimes)
    deleted = draw(
        st.none()
        | st.timedeltas(
            min_value=dt.timedelta(0), max_value=dt.timedelta(days=900)
        ).map(lambda delta: created + delta)
    )
    return SecretSyncAssociation(
        namespace_id=draw(namespace_ids),
        mount_accessor=MountAccessor(
            "kv_" + draw(st.text("0123456789abcdef", min_size=8, max_size=8))
        ),
        mount_path=draw(mount_paths),
        secret_path=draw(
            st.lists(_SEGMENT, min_size=1, max_size=3).map("/".join)
        ),
        destination=draw(
            st.sampled_from(["aws-sm/prod", "gh/repo", "vercel/app"])
        ),
        created_at=created,
        deleted_at=deleted,
    )


acme_identifiers = st.one_of(
    st.builds(
        AcmeIdentifier,
        type=st.just("dns"),
        value=st.lists(_SEGMENT, min_size=1, max_size=3).map(
            lambda labels: ".".join(labels) + ".com"
        )
        | st.just("*.example.com"),
    ),
    st.builds(
        AcmeIdentifier,
        type=st.just("ip"),
        value=st.ip_addresses().map(str),
    ),
)

acme_orders = st.builds(
    AcmeOrder,
    identifiers=st.lists(acme_identifiers, min_size=1, max_size=4).map(tuple),
    namespace_id=namespace_ids,
    mount_accessor=st.text("0123456789abcdef", min_size=8, max_size=8).map(
        lambda suffix: MountAccessor("pki_" + suffix)
    ),
    issued_at=aware_datetimes,
)

clients = st.builds(
    Client,
    id=names.map(ClientId),
    type=st.sampled_from(ClientType),
    namespace_id=namespace_ids,
    mount_accessor=st.none() | mount_accessors,
)

#: Any model object, for laws that hold for every class.
model_objects = st.one_of(
    namespaces(),
    auth_mounts,
    entities,
    entity_aliases,
    groups,
    group_aliases,
    tokens,
    token_roles,
    secret_sync_associations(),
    acme_identifiers,
    acme_orders,
    clients,
)


_HEX8 = st.text("0123456789abcdef", min_size=8, max_size=8)


@st.composite
def identity_states(draw: st.DrawFn) -> IdentityState:
    """
    Draw a consistent identity store state.

    Every namespace has a parent and its ``auth/token/`` mount; every alias
    belongs to an entity of its mount's namespace with a unique key; groups
    hold entities of their namespace; external groups may have one alias.
    Names are ASCII and numbered, so they are unique without case games.
    """
    namespaces = [Namespace.root()]
    ns_ids = draw(
        st.lists(
            st.text(_ALNUM, min_size=5, max_size=5).filter(
                lambda ns: ns != ROOT_NAMESPACE_ID
            ),
            max_size=3,
            unique=True,
        )
    )
    for index, ns_id in enumerate(ns_ids):
        parent = draw(st.sampled_from(namespaces))
        namespaces.append(
            Namespace(
                id=NamespaceId(ns_id),
                path=f"{parent.path}ns{index}/",
                parent_id=parent.id,
            )
        )
    accessors = iter(
        draw(st.lists(_HEX8, min_size=20, max_size=20, unique=True))
    )
    mounts = [
        AuthMount(
            accessor=MountAccessor(f"auth_token_{next(accessors)}"),
            type="token",
            path="auth/token/",
            namespace_id=ns.id,
        )
        for ns in namespaces
    ]
    for index in range(draw(st.integers(0, 3))):
        ns = draw(st.sampled_from(namespaces))
        mounts.append(
            AuthMount(
                accessor=MountAccessor(f"auth_userpass_{next(accessors)}"),
                type="userpass",
                path=f"auth/userpass{index}/",
                namespace_id=ns.id,
                local=draw(st.booleans()),
            )
        )
    ids = iter(
        draw(st.lists(st.uuids(), min_size=40, max_size=40, unique=True))
    )
    entities = [
        Entity(
            id=EntityId(str(next(ids))),
            name=f"entity-{index}",
            namespace_id=draw(st.sampled_from(namespaces)).id,
            policies=draw(policies.map(lambda p: tuple(sorted(set(p))))),
            metadata=draw(metadata),
            disabled=draw(st.booleans()),
        )
        for index in range(draw(st.integers(0, 5)))
    ]
    aliases: list[EntityAlias] = []
    for entity in entities:
        local_mounts = [
            m for m in mounts if m.namespace_id == entity.namespace_id
        ]
        chosen = draw(
            st.lists(st.sampled_from(local_mounts), unique=True, max_size=2)
        )
        aliases.extend(
            EntityAlias(
                id=AliasId(str(next(ids))),
                canonical_id=entity.id,
                mount_accessor=mount.accessor,
                name=f"user-{entity.name}-{mount.accessor}",
                namespace_id=entity.namespace_id,
            )
            for mount in chosen
        )
    groups: list[Group] = []
    group_aliases: list[GroupAlias] = []
    for index in range(draw(st.integers(0, 3))):
        ns = draw(st.sampled_from(namespaces))
        members = [e.id for e in entities if e.namespace_id == ns.id]
        group = Group(
            id=GroupId(str(next(ids))),
            name=f"group-{index}",
            namespace_id=ns.id,
            type=draw(st.sampled_from(GroupType)),
            policies=draw(policies.map(lambda p: tuple(sorted(set(p))))),
            member_entity_ids=tuple(
                draw(st.lists(st.sampled_from(members), unique=True))
                if members
                else ()
            ),
        )
        groups.append(group)
        if group.type is GroupType.EXTERNAL and draw(st.booleans()):
            mount = draw(
                st.sampled_from([m for m in mounts if m.namespace_id == ns.id])
            )
            group_aliases.append(
                GroupAlias(
                    id=AliasId(str(next(ids))),
                    canonical_id=group.id,
                    mount_accessor=mount.accessor,
                    name=f"team-{index}",
                    namespace_id=ns.id,
                )
            )
    roles = [
        TokenRole(
            name=f"role-{index}",
            namespace_id=draw(st.sampled_from(namespaces)).id,
            allowed_policies=draw(policies),
        )
        for index in range(draw(st.integers(0, 2)))
    ]
    return IdentityState(
        namespaces=tuple(namespaces),
        mounts=tuple(mounts),
        entities=tuple(entities),
        entity_aliases=tuple(aliases),
        groups=tuple(groups),
        group_aliases=tuple(group_aliases),
        token_roles=tuple(roles),
    )


@st.composite
def corrupted(draw: st.DrawFn, original: bytes) -> bytes:
    """Valid bytes with one byte flipped, the tail cut off, or junk added."""
    data = bytearray(original)
    position = draw(st.integers(0, len(data) - 1))
    mutation = draw(st.sampled_from(["flip", "cut", "extend"]))
    if mutation == "flip":
        data[position] ^= draw(st.integers(1, 255))
    elif mutation == "cut":
        del data[position:]
    else:
        data.extend(draw(st.binary(min_size=1, max_size=8)))
    return bytes(data)
