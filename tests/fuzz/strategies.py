"""
Hypothesis strategies that mutate real audit entries and export rows.

The seeds are real: the bundled sample audit log and the Vault export
fixtures of the acceptance suite.  A mutation picks one place in a record
(any nested key or list item, found by walking the record) and deletes it,
replaces it with a hostile value, or adds an unknown field beside it.
"""

from __future__ import annotations

import copy
import csv
import json
import uuid
from pathlib import Path
from typing import Any, Final

from hypothesis import strategies as st

ROOT: Final = Path(__file__).resolve().parents[2]
SAMPLE_AUDIT_LOG: Final = ROOT / "examples" / "data" / "sample-audit-log.jsonl"
EXPORT_FIXTURES: Final = (
    ROOT / "tests" / "acceptance" / "data" / "vault-export"
)
#: How many sample audit entries a run feeds (logins, uses, health checks).
AUDIT_WINDOW: Final = 240

#: Values no field of a Vault record should hold, or only in odd spellings.
HOSTILE_VALUES: Final[tuple[object, ...]] = (
    None,
    True,
    False,
    0,
    -1,
    2**64,
    # More digits than int() or repr() will convert by default.
    10**5000,
    1.5,
    float("nan"),
    float("inf"),
    -float("inf"),
    "",
    " ",
    # Lone surrogates, as json.loads turns "\ud800" into.
    "\ud800",
    "ns\udfff",
    # Non-ASCII digits: int() reads them, Vault never writes them.
    "\u0663\u0664\u0665",
    "\uff11\uff17\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10",
    "1" * 5000,
    "9" * 30,
    "-9" * 20,
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2025-02-30T00:00:00Z",
    "2025-01-01T00:00:00.123456789123Z",
    "2025-01-01T00:00:00",
    "\u0662025-01-01T00:00:00Z",
    "root",
    "x" * 10_000,
    "\x00",
    [],
    ["\ud800"],
    [1, None],
    {},
    {"id": "\ud800"},
    {"x": [{}]},
)


def _load_audit() -> list[dict[str, Any]]:
    with SAMPLE_AUDIT_LOG.open(encoding="utf-8") as lines:
        return [
            json.loads(line)
            for _, line in zip(range(AUDIT_WINDOW), lines, strict=False)
        ]


def _load_exports() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    with (EXPORT_FIXTURES / "aug_sep.json").open(encoding="utf-8") as lines:
        records.extend(json.loads(line) for line in lines if line.strip())
    with (EXPORT_FIXTURES / "aug_sep.csv").open(encoding="utf-8") as rows:
        records.extend(dict(row) for row in csv.DictReader(rows))
    # The 1.21 format, with both spellings of the first-use time.
    records.append(
        {
            "client_id": "e-121",
            "client_type": "entity",
            "namespace_id": "root",
            "namespace_path": "",
            "mount_accessor": "auth_userpass_1",
            "token_creation_time": "2025-08-01T10:00:00Z",
            "client_first_used_time": "2025-08-02T10:00:00Z",
        }
    )
    records.append(
        {
            "client_id": "n-121",
            "client_type": "non-entity-token",
            "namespace_id": "root",
            "token_creation_time": "2025-08-01T10:00:00.5+02:00",
            "client_first_usage_time": "2025-08-03T10:00:00Z",
        }
    )
    return records


AUDIT_ENTRIES: Final = _load_audit()
EXPORT_RECORDS: Final = _load_exports()


def _paths(
    value: object, prefix: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """Every key path inside a record, parents before children."""
    found: list[tuple[object, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*prefix, key))
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.append((*prefix, index))
            found.extend(_paths(child, (*prefix, index)))
    return found


def _parent(record: object, path: tuple[object, ...]) -> Any:
    node: Any = record
    for step in path[:-1]:
        node = node[step]
    return node


def _at(record: object, path: tuple[object, ...]) -> object:
    return _parent(record, (*path, None))


@st.composite
def mutated(
    draw: st.DrawFn, seeds: list[dict[str, Any]]
) -> tuple[int, object]:
    """
    One seed record, deep-copied and mutated at one to three places.

    Returns:
        The seed's index and the mutated record.  For audit entries the
        copy first gets a fresh ``request.id``, so it can never be taken
        for a duplicate of an untouched entry.
    """
    index = draw(st.integers(0, len(seeds) - 1))
    record: Any = copy.deepcopy(seeds[index])
    request = record.get("request")
    if isinstance(request, dict) and "id" in request:
        request["id"] = str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))
    if draw(st.integers(0, 19)) == 0:
        # Not a mapping at all.
        return index, draw(st.sampled_from([None, [], "{}", 3, [record]]))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(record)
        action = draw(
            st.sampled_from(["set", "delete", "extra", "text", "surrogate"])
        )
        if not paths or action == "extra":
            objects = [record] + [
                node
                for p in paths
                if isinstance(node := _parent(record, (*p, None)), dict)
            ]
            parent = draw(st.sampled_from(objects))
            key = draw(st.sampled_from(["extra", "\ud800", "", "time", "id"]))
            parent[key] = copy.deepcopy(draw(st.sampled_from(HOSTILE_VALUES)))
            continue
        if action == "surrogate":
            # Break one string already there: the likeliest JSON accident.
            texts = [p for p in paths if isinstance(_at(record, p), str)]
            if texts:
                path = draw(st.sampled_from(texts))
                parent = _parent(record, path)
                parent[path[-1]] += "\ud800"
            continue
        path = draw(st.sampled_from(paths))
        parent = _parent(record, path)
        if action == "delete":
            del parent[path[-1]]
        elif action == "text":
            # Arbitrary unicode, lone surrogates included.
            parent[path[-1]] = draw(
                st.text(st.characters(exclude_categories=[]), max_size=40)
            )
        else:
            parent[path[-1]] = copy.deepcopy(
                draw(st.sampled_from(HOSTILE_VALUES))
            )
    return index, record
