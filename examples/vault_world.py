"""
Build a small Vault world, use its tokens, and say who the clients are.

The world has the root namespace and two teams below it, each with its own
auth mounts.  People log in (sometimes with other capitalisation, sometimes
in two namespaces), CI jobs mint tokens through a role with
``entity_alias``, a batch job uses orphan tokens without an entity, and an
operator merges two entities.  Every token is then used once; the script
prints each client and the number of distinct clients per namespace.

Run: ``python examples/vault_world.py``
"""

from __future__ import annotations

from collections import Counter

from clientid import (
    Client,
    IdentityStore,
    MountAccessor,
    Token,
    TokenRole,
)
from clientid.errors import IdentityError

ROOT_TOKEN = Token(policies=("root",))


def build_world() -> tuple[IdentityStore, list[tuple[str, Token]]]:
    """Create namespaces, mounts, logins and tokens; return the tokens."""
    store = IdentityStore()
    payments = store.add_namespace("payments")
    search = store.add_namespace("search")
    root_ldap = store.enable_auth("ldap").accessor
    root_github = store.enable_auth("github").accessor
    pay_userpass = store.enable_auth(
        "userpass", namespace_id=payments.id
    ).accessor
    search_approle = store.enable_auth(
        "approle", namespace_id=search.id
    ).accessor

    # LDAP groups map to an external group that grants "readers".
    devs = store.create_group_alias(mount_accessor=root_ldap, name="devs")
    store.update_group(devs.canonical_id, policies=["readers"])

    tokens: list[tuple[str, Token]] = []

    def login(
        label: str,
        accessor: MountAccessor,
        name: str,
        groups: tuple[str, ...] = (),
        policies: tuple[str, ...] = (),
    ) -> Token:
        result = store.login(
            accessor, name, group_aliases=groups, policies=policies
        )
        tokens.append((label, result.token))
        return result.token

    # Alice logs in via LDAP twice, once as "ALICE": one entity.
    alice = login("alice via ldap", root_ldap, "alice", groups=("devs",))
    login("ALICE via ldap", root_ldap, "ALICE")
    # ...and via GitHub: a second entity, until an operator merges them.
    # The token issued before the merge keeps counting under the old ID,
    # as in Vault (the client ID is taken verbatim from the token).
    login("alice via github", root_github, "alice-gh")
    alice_entity = store.alias_by_factors(root_ldap, "alice").canonical_id
    github_alias = store.alias_by_factors(root_github, "alice-gh")
    store.merge_entities(alice_entity, [github_alias.canonical_id])

    # Bob exists in the payments namespace and, separately, in root.
    login("bob in payments", pay_userpass, "bob", policies=("pay",))
    login("bob in root", root_ldap, "bob")

    # Two instances of one AppRole role share the role ID: one client.
    login("search worker 1", search_approle, "role-7f3a")
    login("search worker 2", search_approle, "role-7f3a")

    # CI jobs get tokens bound to per-pipeline entities through a role.
    store.add_token_role(
        TokenRole(name="ci", allowed_entity_aliases=("pipeline-*",))
    )
    for job in ("pipeline-web", "pipeline-web", "pipeline-api"):
        token = store.create_token(
            ROOT_TOKEN, role_name="ci", entity_alias=job, policies=["ci"]
        )
        tokens.append((f"ci job {job}", token))

    # A nightly batch creates orphan tokens without entity: equal policies
    # in one namespace make them one non-entity client.
    for night in range(3):
        token = store.create_token(
            ROOT_TOKEN, policies=["backup"], orphan=True
        )
        tokens.append((f"backup night {night}", token))

    # A child token inherits Alice's entity: still Alice.
    tokens.append(("alice's child token", store.create_token(alice)))
    return store, tokens


def main() -> None:
    """Print every token's client and the distinct clients per namespace."""
    store, tokens = build_world()
    clients: dict[str, Client] = {}
    for label, token in tokens:
        try:
            client = store.client_for_token(token)
        except IdentityError as error:
            print(f"{label:24} denied: {error}")
            continue
        if client is None:
            print(f"{label:24} not a client")
            continue
        path = store.namespace(client.namespace_id).path or "(root)"
        print(f"{label:24} {client.type.value:16} {path:10} {client.id}")
        clients[client.id] = client

    print()
    per_namespace = Counter(
        store.namespace(c.namespace_id).path or "(root)"
        for c in clients.values()
    )
    for path, count in sorted(per_namespace.items()):
        print(f"{path:10} {count} clients")
    print(f"{'total':10} {len(clients)} distinct clients")


if __name__ == "__main__":
    main()
