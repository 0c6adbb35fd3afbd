"""
The exact tier of client counting: a sorted, mergeable set of client IDs.

Adds go into a plain hash set, so ingesting costs what ``set.add`` costs.
The sorted view (a :class:`~sortedcontainers.SortedList`) is built only when
something needs the order (iteration, serialization) and is then kept up to
date in bulk: IDs added after it exists wait in a list and are merged the
next time the order is needed.
"""

from __future__ import annotations

import collections.abc
import struct
import sys
from array import array
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING, Final, final

import attrs
from sortedcontainers import SortedList

from clientid.errors import DecodeError, UnsupportedFormatError
from clientid.sketch.inputs import (
    as_bytes,
    check_batch,
    check_client_id,
    feed_in_batches,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["ExactClientSet"]

#: The first bytes of every serialized :class:`ExactClientSet`.
EXACT_SET_MAGIC: Final = b"CIDX"
#: The only format version this release writes and reads.
EXACT_SET_FORMAT_VERSION: Final = 1

# Magic, version byte, number of IDs (unsigned 64-bit, little-endian).
_HEADER: Final = struct.Struct("<4sBQ")
# Each ID's length in code points (unsigned 32-bit, little-endian).
_LENGTH_SIZE: Final = 4
_LENGTH_TYPECODE: Final = "I" if array("I").itemsize == _LENGTH_SIZE else "L"
# UTF-8, except that lone surrogates (valid in a Python str, never in a
# client ID Vault made) round-trip instead of failing.
_ERRORS: Final = "surrogatepass"
#: IDs :meth:`ExactClientSet.update` checks and adds at a time.
_CHUNK: Final = 1 << 12


@final
@attrs.define(init=False, eq=False, repr=False)
class ExactClientSet(collections.abc.Set[str]):
    """
    A set of client IDs that iterates in sorted order.

    It behaves like a :class:`set` of strings that only grows: ``add``,
    ``update``, ``union``, ``merge``, ``in``, ``len`` and comparisons with
    other sets, and it iterates in ascending code-point order, so everything
    derived from it (serialized bytes, reports) is deterministic.

    Memory: one hash-set slot per ID, plus one list slot per ID once the
    sorted view has been built (see ``docs/performance-count.md``).

    Any ``str`` is an ID (lone surrogates and ``""`` included, as a set
    of strings allows); anything else is refused with
    :class:`~clientid.errors.InvalidModelError`.

    Args:
        client_ids: The initial client IDs, in any order, duplicates allowed.

    Raises:
        InvalidModelError: An ID is not a ``str``.
    """

    _members: set[str]
    # The sorted view, or None until something needs the order.
    _view: SortedList[str] | None
    # Members added since the view was built, in arrival order.
    _pending: list[str]

    def __init__(self, client_ids: Iterable[str] = ()) -> None:
        self._members = set()
        self._view = None
        self._pending = []
        self.update(client_ids)

    def add(self, client_id: str) -> None:
        """
        Add one client ID; adding an ID already present changes nothing.

        Runtime: O(1).

        Raises:
            InvalidModelError: ``client_id`` is not a ``str``.
        """
        if client_id.__class__ is not str:  # A subclass passes the check.
            check_client_id(client_id, allow_empty=True, utf8=False)
        if self._view is None:
            self._members.add(client_id)
        elif client_id not in self._members:
            self._members.add(client_id)
            self._pending.append(client_id)

    def update(self, client_ids: Iterable[str]) -> None:
        """
        Add every client ID of an iterable.

        If an ID is rejected, the IDs before it have been added and none
        after it; if the iterator raises, every ID it gave has been added
        before its exception propagates.

        Runtime: O(n) for n IDs.

        Raises:
            InvalidModelError: ``client_ids`` is one ``str`` or not
                iterable, or an ID is not a ``str``.
        """
        feed_in_batches(client_ids, _CHUNK, self._update_batch)

    def _update_batch(self, batch: list[str]) -> None:
        good, error = check_batch(batch, allow_empty=True, utf8=False)
        self._add_valid(batch if error is None else batch[:good])
        if error is not None:
            raise error

    def _add_valid(self, client_ids: Iterable[str]) -> None:
        """Add IDs known to be strings."""
        members = self._members
        if self._view is None:
            members.update(client_ids)
            return
        pending = self._pending
        for client_id in client_ids:
            if client_id not in members:
                members.add(client_id)
                pending.append(client_id)

    def union(self, *others: ExactClientSet) -> ExactClientSet:
        """
        Return a new set holding the IDs of this set and of every other.

        Runtime: O(n) for n IDs in all sets together.
        """
        result = ExactClientSet()
        # Reading the other sets' private state is fine: same class.
        result._members = self._members.union(
            *(other._members for other in others)  # noqa: SLF001
        )
        return result

    def merge(self, other: ExactClientSet) -> None:
        """
        Add every ID of *other* to this set, in place.

        Runtime: O(m) for m IDs in *other*.
        """
        if other is not self:
            self._add_valid(other._members)

    def estimate(self) -> float:
        """
        Return the number of IDs as a float, as every distinct counter does.

        The count is exact.  Runtime: O(1).
        """
        return float(len(self._members))

    def __contains__(self, client_id: object) -> bool:
        return client_id in self._members

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[str]:
        # Like ``SortedList``, the iterator is undefined if the set is
        # mutated while it runs.
        return iter(self._sorted())

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._sorted())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ExactClientSet):
            return self._members == other._members
        if isinstance(other, set | frozenset):
            return self._members == other
        if isinstance(other, collections.abc.Set):
            return len(self._members) == len(other) and all(
                client_id in self._members for client_id in other
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ExactClientSet({list(self._sorted())!r})"

    def _sorted(self) -> SortedList[str]:
        """Return the sorted view, building or catching it up in bulk."""
        view = self._view
        if view is None:
            view = self._view = SortedList(self._members)
        elif self._pending:
            # SortedList.update sorts a large batch once and merges it,
            # instead of inserting the IDs one by one.
            view.update(self._pending)
            self._pending.clear()
        return view

    def to_bytes(self) -> bytes:
        """
        Serialize the set into clientid's versioned binary format.

        The layout (all integers little-endian): ``CIDX``, a version byte
        (1), the number of IDs as an unsigned 64-bit integer, each ID's
        length in code points as an unsigned 32-bit integer, then the IDs
        in sorted order, concatenated and UTF-8 encoded.  Equal sets give
        equal bytes.

        Returns:
            The serialized set.
        """
        ordered = self._sorted()
        lengths = array(_LENGTH_TYPECODE, map(len, ordered))
        if sys.byteorder == "big":  # pragma: no cover
            lengths.byteswap()
        header = _HEADER.pack(
            EXACT_SET_MAGIC, EXACT_SET_FORMAT_VERSION, len(ordered)
        )
        text = "".join(ordered).encode("utf-8", _ERRORS)
        return b"".join((header, lengths.tobytes(), text))

    @classmethod
    def from_bytes(cls, data: bytes) -> ExactClientSet:
        """
        Deserialize a set written by :meth:`to_bytes`.

        Args:
            data: The serialized set.

        Returns:
            The set.

        Raises:
            UnsupportedFormatError: The data is not an exact client set or
                has a format version this release cannot read.
            DecodeError: The data is truncated, corrupt or not canonical
                (IDs unsorted or repeated, trailing bytes).
        """
        view = memoryview(as_bytes(data, "exact set"))
        if len(view) < _HEADER.size:
            msg = (
                f"exact set header must be {_HEADER.size} bytes, "
                f"got {len(view)}"
            )
            raise DecodeError([msg])
        magic, version, count = _HEADER.unpack_from(view)
        if magic != EXACT_SET_MAGIC:
            msg = f"exact set magic must be {EXACT_SET_MAGIC!r}, got {magic!r}"
            raise UnsupportedFormatError([msg])
        if version != EXACT_SET_FORMAT_VERSION:
            msg = (
                "exact set format version must be "
                f"{EXACT_SET_FORMAT_VERSION}, got {version!r}"
            )
            raise UnsupportedFormatError([msg])
        # Check the count against the data before allocating anything, so
        # a hostile count cannot make us allocate more than we were given.
        body = view[_HEADER.size :]
        if count * _LENGTH_SIZE > len(body):
            msg = (
                f"exact set count {count!r} needs at least "
                f"{count * _LENGTH_SIZE} bytes of lengths, got {len(body)}"
            )
            raise DecodeError([msg])
        split = count * _LENGTH_SIZE
        lengths = array(_LENGTH_TYPECODE)
        lengths.frombytes(body[:split])
        if sys.byteorder == "big":  # pragma: no cover
            lengths.byteswap()
        try:
            text = str(body[split:], "utf-8", _ERRORS)
        except UnicodeDecodeError as exc:
            msg = f"exact set IDs must be UTF-8, got invalid bytes: {exc}"
            raise DecodeError([msg]) from exc
        ends = list(accumulate(lengths))
        if (ends[-1] if ends else 0) != len(text):
            msg = (
                "exact set ID lengths must add up to the text length "
                f"{len(text)}, got {ends[-1] if ends else 0}"
            )
            raise DecodeError([msg])
        ids = [
            text[start:end]
            for start, end in zip([0, *ends], ends, strict=False)
        ]
        for index, (before, after) in enumerate(pairwise(ids)):
            if before >= after:
                msg = (
                    "exact set IDs must be strictly increasing, got "
                    f"{after!r} after {before!r} at position {index + 1}"
                )
                raise DecodeError([msg])
        result = cls()
        result._members = set(ids)
        result._view = SortedList(ids)
        return result

    def _check(self) -> None:
        """Raise AssertionError if an internal invariant is broken."""
        members = self._members
        _require(isinstance(members, set), "members must be a set")
        _require(
            all(isinstance(client_id, str) for client_id in members),
            "members must be strings",
        )
        view = self._view
        if view is None:
            _require(not self._pending, "no pending IDs without a view")
            return
        _require(
            all(before < after for before, after in pairwise(view)),
            "the view must be strictly increasing",
        )
        pending = self._pending
        _require(
            len(view) + len(pending) == len(members),
            "view and pending IDs must add up to the members",
        )
        _require(
            set(view).union(pending) == members,
            "view and pending IDs must be the members",
        )


def _require(condition: bool, invariant: str) -> None:  # noqa: FBT001
    if not condition:
        raise AssertionError(invariant)
