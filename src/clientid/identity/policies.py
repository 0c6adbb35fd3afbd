"""
The policies a request is evaluated against: token, entity and groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clientid.errors import InvalidRequestError
from clientid.identity.requests import RequestsPart
from clientid.identity.resolve import sanitize_policies
from clientid.identity.results import EffectivePolicies, GroupPolicyApplication
from clientid.identity.rules import declare_rules, fail
from clientid.identity.util import reject_single_strings

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from collections.abc import Set as AbstractSet

    from clientid.identity.groups import GroupRefresh
    from clientid.model.ids import GroupId, NamespaceId
    from clientid.model.records import Entity, Namespace, Token

__all__ = ["PoliciesPart"]

#: The rules this part enforces (see :data:`clientid.IDENTITY_RULES`).
RULES: Final = declare_rules(
    {
        "policy-mode-invalid": (
            InvalidRequestError,
            'invalid group policy application mode "{value}"',
        ),
    }
)


def _policy_mode(
    value: GroupPolicyApplication | str,
) -> GroupPolicyApplication:
    for member in GroupPolicyApplication:
        if value in {member, member.value}:
            return member
    return fail("policy-mode-invalid", "mode", value)


class PoliciesPart(RequestsPart):
    """The policies part of :class:`~clientid.IdentityStore`."""

    __slots__ = ()

    def effective_policies(
        self,
        token: Token,
        *,
        mode: GroupPolicyApplication | str = (
            GroupPolicyApplication.WITHIN_NAMESPACE_HIERARCHY
        ),
        existing_policies: Mapping[NamespaceId, Collection[str]] | None = None,
        no_identity_policies: bool = False,
    ) -> EffectivePolicies:
        """
        Compute the policies a request made with *token* is checked against.

        Identity policies come from the current state: the entity's own
        (always applied, under the entity's namespace) and those of every
        group it belongs to directly or through subgroups, filtered by
        *mode*.

        Args:
            token: The token of the request.
            mode: Vault's group policy application mode, or its value
                (``"within_namespace_hierarchy"``, ``"any"``).
            existing_policies: The ACL policies that exist, per namespace;
                a group policy of another namespace that does not exist is
                dropped, as in Vault.  ``None`` treats every policy as
                existing.
            no_identity_policies: The token's ``no_identity_policies``.

        Returns:
            Token, identity and combined policies.

        Raises:
            PermissionDeniedError: If the token's entity is missing or
                disabled, or its namespace is gone.
            InvalidModelError: If a value of *existing_policies* is a
                single string.

        See: https://developer.hashicorp.com/vault/api-docs/system/config-group-policy-application
        """
        if existing_policies is not None:
            for ns_id in sorted(existing_policies):
                reject_single_strings(
                    **{
                        f"existing_policies[{ns_id!r}]": existing_policies[
                            ns_id
                        ]
                    }
                )
        mode = _policy_mode(mode)
        entity = self._check_usable(token, token.namespace_id)
        token_ns = self._namespaces[token.namespace_id]
        identity: dict[NamespaceId, list[str]] = {}
        if entity is not None and not no_identity_policies:
            identity.setdefault(entity.namespace_id, []).extend(
                entity.policies
            )
            direct = sorted(self._entity_groups.get(entity.id, ()))
            for group_id in self._ancestor_groups(direct):
                group = self._groups[group_id]
                group_ns = self._namespaces.get(group.namespace_id)
                if group_ns is None:
                    continue
                kept = [
                    p
                    for p in group.policies
                    if self._policy_applies(
                        token_ns, group_ns, p, mode, existing_policies
                    )
                ]
                if kept:
                    identity.setdefault(group_ns.id, []).extend(kept)
        sanitized = {
            ns: sanitize_policies(pols, add_default=False)
            for ns, pols in identity.items()
        }
        own = sanitized.get(token.namespace_id, ())
        return EffectivePolicies(
            token_policies=token.policies,
            identity_policies=own,
            policies=sanitize_policies(
                (*token.policies, *own), add_default=False
            ),
            external_namespace_policies=tuple(
                (ns, sanitized[ns])
                for ns in sorted(sanitized)
                if ns != token.namespace_id and sanitized[ns]
            ),
        )

    @staticmethod
    def _policy_applies(
        token_ns: Namespace,
        group_ns: Namespace,
        policy: str,
        mode: GroupPolicyApplication,
        existing: Mapping[NamespaceId, Collection[str]] | None,
    ) -> bool:
        if group_ns.path == token_ns.path:
            return True
        if existing is not None and policy not in existing.get(
            group_ns.id, ()
        ):
            return False
        if mode is GroupPolicyApplication.ANY:
            return True
        return group_ns.is_descendant_or_self_of(token_ns)

    def _identity_policies_in(
        self,
        entity: Entity,
        namespace_id: NamespaceId,
        plan: GroupRefresh | None = None,
    ) -> tuple[str, ...]:
        """
        Return the sanitized identity policies of *entity* in a namespace.

        Only policies keyed by *namespace_id* itself: the entity's own if it
        lives there, and those of its groups (direct or inherited) there,
        which apply in every mode.  *plan* is a refresh not yet applied.
        """
        direct: AbstractSet[GroupId] = self._entity_groups.get(
            entity.id, frozenset()
        )
        if plan is not None:
            direct = (direct | set(plan.joins)) - set(plan.leaves)
        if not direct and not entity.policies:
            return ()
        policies: list[str] = []
        if entity.namespace_id == namespace_id:
            policies.extend(entity.policies)
        for group_id in self._ancestor_groups(sorted(direct)):
            group = self._groups[group_id]
            if group.namespace_id == namespace_id:
                policies.extend(group.policies)
        return sanitize_policies(policies, add_default=False)
