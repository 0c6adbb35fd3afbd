"""
clientid: Vault client identity and client counting, in pure Python.

Everything public is importable from here; the modules behind it are private
and may move.  Errors live in :mod:`clientid.errors`, serialization in
:mod:`clientid.serde`.
"""

from __future__ import annotations

from typing import Any

from clientid.activity.compare import CountDifference, ReportDifference
from clientid.activity.log import ActivityLog
from clientid.activity.report import (
    ActivityReport,
    ClientCounts,
    MonthActivity,
    MountCounts,
    NamespaceCounts,
    NewClients,
    ResponseFormat,
)
from clientid.activity.scenario import Scenario
from clientid.count.counter import (
    DEFAULT_COUNTER_LG_K,
    DEFAULT_EXACT_LIMIT,
    ClientCounter,
    Count,
    DistinctCounter,
)
from clientid.count.exact import ExactClientSet
from clientid.errors import ClientIdError
from clientid.formats.export import (
    ExportFormat,
    ExportRecord,
    export_csv,
    export_json_lines,
)
from clientid.identity.resolve import (
    DEFAULT_POLICY,
    ROOT_POLICY,
    WRAPPING_POLICIES,
    acme_client_id,
    client_for_acme_order,
    client_for_secret_sync,
    client_for_token,
    is_billable_token,
    is_root_token,
    is_wrapping_token,
    non_entity_client_id,
    sanitize_policies,
    secret_sync_client_id,
)
from clientid.identity.store import (
    IDENTITY_RULES,
    EffectivePolicies,
    GroupPolicyApplication,
    IdentityState,
    IdentityStore,
    LoginResult,
)
from clientid.ingest.audit import AuditLogReader
from clientid.ingest.common import RejectedRecord, SkipReason
from clientid.ingest.export import ExportReader
from clientid.model.events import ClientEvent
from clientid.model.ids import (
    ROOT_NAMESPACE_ID,
    AliasId,
    ClientId,
    ClientType,
    EntityId,
    GroupId,
    MountAccessor,
    NamespaceId,
)
from clientid.model.records import (
    AcmeIdentifier,
    AcmeOrder,
    AuthMount,
    Client,
    Entity,
    EntityAlias,
    Group,
    GroupAlias,
    GroupType,
    Metadata,
    Namespace,
    SecretSyncAssociation,
    Token,
    TokenRole,
    TokenType,
    freeze_metadata,
)
from clientid.sketch.hll import HyperLogLog

__all__ = [
    "DEFAULT_COUNTER_LG_K",
    "DEFAULT_EXACT_LIMIT",
    "DEFAULT_POLICY",
    "IDENTITY_RULES",
    "ROOT_NAMESPACE_ID",
    "ROOT_POLICY",
    "WRAPPING_POLICIES",
    "AcmeIdentifier",
    "AcmeOrder",
    "ActivityLog",
    "ActivityReport",
    "AliasId",
    "AuditLogReader",
    "AuthMount",
    "Client",
    "ClientCounter",
    "ClientCounts",
    "ClientEvent",
    "ClientId",
    "ClientIdError",
    "ClientType",
    "Count",
    "CountDifference",
    "DistinctCounter",
    "EffectivePolicies",
    "Entity",
    "EntityAlias",
    "EntityId",
    "ExactClientSet",
    "ExportFormat",
    "ExportReader",
    "ExportRecord",
    "Group",
    "GroupAlias",
    "GroupId",
    "GroupPolicyApplication",
    "GroupType",
    "HyperLogLog",
    "IdentityState",
    "IdentityStore",
    "LoginResult",
    "Metadata",
    "MonthActivity",
    "MountAccessor",
    "MountCounts",
    "Namespace",
    "NamespaceCounts",
    "NamespaceId",
    "NewClients",
    "RejectedRecord",
    "ReportDifference",
    "ResponseFormat",
    "Scenario",
    "SecretSyncAssociation",
    "SkipReason",
    "Token",
    "TokenRole",
    "TokenType",
    "acme_client_id",
    "client_for_acme_order",
    "client_for_secret_sync",
    "client_for_token",
    "export_csv",
    "export_json_lines",
    "freeze_metadata",
    "is_billable_token",
    "is_root_token",
    "is_wrapping_token",
    "non_entity_client_id",
    "sanitize_policies",
    "secret_sync_client_id",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("clientid")
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return [*__all__, "__version__"]
