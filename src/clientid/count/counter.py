"""
Counting distinct clients: the counter protocol, counts and the hybrid counter.

:class:`ClientCounter` keeps client IDs exactly, in an
:class:`~clientid.ExactClientSet`, until it holds more than its
``exact_limit``; then it moves them into a
:class:`~clientid.HyperLogLog` and keeps counting there.  It never drops a
client: every :class:`Count` it returns says whether it is exact and, if it
is not, gives error bounds.
"""

from __future__ import annotations

import math
import struct
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Protocol,
    Self,
    final,
    runtime_checkable,
)

import attrs

from clientid.count.exact import ExactClientSet
from clientid.errors import (
    DecodeError,
    InexactCounterError,
    InvalidModelError,
    UnsupportedFormatError,
)
from clientid.sketch.hll import MAX_LG_K, MIN_LG_K, HyperLogLog
from clientid.sketch.inputs import (
    as_bytes,
    check_batch,
    check_client_id,
    feed_in_batches,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "DEFAULT_COUNTER_LG_K",
    "DEFAULT_EXACT_LIMIT",
    "ClientCounter",
    "Count",
    "DistinctCounter",
]


@runtime_checkable
class DistinctCounter(Protocol):
    """
    What every distinct counter in clientid offers.

    :class:`~clientid.HyperLogLog`, :class:`~clientid.ExactClientSet` and
    :class:`~clientid.ClientCounter` all satisfy it, so code that only adds
    IDs, unions counters and reads an estimate works with any of them.
    """

    def add(self, client_id: str) -> None:
        """
        Count one client ID.
        """

    def update(self, client_ids: Iterable[str]) -> None:
        """
        Count every client ID of an iterable.
        """

    def union(self, *others: Self) -> Self:
        """
        Return a new counter of the IDs counted by this and every other.
        """

    def estimate(self) -> float:
        """
        Return the (possibly estimated) number of distinct IDs counted.
        """


def _check_count(instance: Count, _: attrs.Attribute[Any], __: int) -> None:
    """Check the relations between the fields of a count."""
    value = instance.value
    lower = instance.lower_bound
    upper = instance.upper_bound
    std_devs = instance.std_devs
    if not 0 <= lower <= value <= upper:
        field = "lower_bound, value, upper_bound"
        rule = "must satisfy 0 <= lower_bound <= value <= upper_bound"
        raise InvalidModelError(field, (lower, value, upper), rule)
    if std_devs < 0:
        field, rule = "std_devs", "must not be negative"
        raise InvalidModelError(field, std_devs, rule)
    if instance.is_exact and (lower != upper or std_devs != 0):
        field = "is_exact"
        rule = "needs lower_bound == value == upper_bound and std_devs == 0"
        raise InvalidModelError(field, (lower, value, upper, std_devs), rule)


@final
@attrs.frozen(kw_only=True)
class Count:
    """
    A number of distinct clients, and how sure it is.

    An exact count has ``lower_bound == value == upper_bound`` and
    ``std_devs == 0``.  An estimated count comes from a sketch: ``value`` is
    the estimate rounded to the nearest integer, and the true number lies
    between the bounds with the confidence of ``std_devs`` standard
    deviations (about 68.3 %, 95.4 % and 99.7 % for 1, 2 and 3).

    Attributes:
        value: The exact count, or the estimate rounded to the nearest
            integer.
        is_exact: Whether ``value`` is exact.
        lower_bound: ``value`` when exact, else the floor of the lower
            bound (never below 0).
        upper_bound: ``value`` when exact, else the ceiling of the upper
            bound.
        std_devs: The number of standard deviations the bounds are for
            (0 when exact).
    """

    value: int
    is_exact: bool
    lower_bound: int
    upper_bound: int
    std_devs: int = attrs.field(validator=_check_count)


#: How many distinct client IDs a :class:`ClientCounter` keeps exactly by
#: default.  It is above Vault's monthly storage cap (706,700 clients), so a
#: counter of one Vault month stays exact; 1,000,000 UUID-shaped IDs take
#: about 120 MB (see ``docs/counting.md``).
DEFAULT_EXACT_LIMIT: Final = 1_000_000
#: The precision of the sketch a :class:`ClientCounter` moves to (m = 2**14
#: registers, relative standard error about 0.8 %).
DEFAULT_COUNTER_LG_K: Final = 14

# The recent-IDs cache of an estimating counter holds at most this many IDs
# (never more than the exact limit, never fewer than _MIN_RECENT).
_MAX_RECENT: Final = 1 << 16
_MIN_RECENT: Final = 1 << 12
# update() looks IDs up this many at a time; never more than _MIN_RECENT.
_CHUNK: Final = 1 << 12

# The binary format of a counter: magic, version, mode, lg_k, exact_limit.
COUNTER_MAGIC: Final = b"CIDC"
COUNTER_FORMAT_VERSION: Final = 1
_HEADER: Final = struct.Struct("<4sBBBQ")
_EXACT_MODE: Final = 0
_SKETCH_MODE: Final = 1
_STD_DEVS: Final = (1, 2, 3)
_isascii: Final = str.isascii


@final
@attrs.define(init=False, eq=False, repr=False)
class ClientCounter:
    """
    Count distinct clients exactly up to a limit, and estimate beyond it.

    While it holds at most *exact_limit* distinct IDs, the counter keeps
    them in an :class:`~clientid.ExactClientSet`: counts are exact and the
    IDs can be listed.  The ID that takes it past the limit moves every ID
    into a :class:`~clientid.HyperLogLog` of precision *lg_k*; from then on
    counts are estimates with bounds, and the counter never returns to
    exact.  No ID is ever dropped.

    Adding an ID already seen costs one hash-set lookup.  Once estimating,
    the counter keeps a bounded cache of recently seen IDs for the same
    purpose and hashes the others into the sketch in batches before any
    read; because adding an ID to a sketch twice changes nothing, the
    result is the same as adding every ID directly.

    Args:
        client_ids: The initial client IDs.
        exact_limit: The most distinct IDs kept exactly (0 or more).
        lg_k: The sketch precision, 4 to 21.

    Raises:
        InvalidModelError: *exact_limit* is negative or *lg_k* is out of
            range.
    """

    _exact_limit: int
    _lg_k: int
    # Exactly one of _exact and _sketch is None.
    _exact: ExactClientSet | None
    _sketch: HyperLogLog | None
    # While exact: the exact tier's own hash set.  While estimating: the
    # recent-IDs cache; every ID in it is in the sketch or in _unhashed.
    _seen: set[str]
    # While estimating: the IDs of _seen not yet in the sketch, in arrival
    # order (so the sketch sees the same sequence as without the cache).
    _unhashed: list[str]
    _recent_capacity: int

    def __init__(
        self,
        client_ids: Iterable[str] = (),
        *,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        lg_k: int = DEFAULT_COUNTER_LG_K,
    ) -> None:
        if exact_limit < 0:
            field, rule = "exact_limit", "must be 0 or more"
            raise InvalidModelError(field, exact_limit, rule)
        if not MIN_LG_K <= lg_k <= MAX_LG_K:
            field, rule = "lg_k", f"must be between {MIN_LG_K} and {MAX_LG_K}"
            raise InvalidModelError(field, lg_k, rule)
        self._exact_limit = exact_limit
        self._lg_k = lg_k
        self._recent_capacity = min(_MAX_RECENT, max(_MIN_RECENT, exact_limit))
        self._become(ExactClientSet())
        self.update(client_ids)

    @property
    def exact_limit(self) -> int:
        """
        The most distinct IDs this counter keeps exactly.
        """
        return self._exact_limit

    @property
    def lg_k(self) -> int:
        """
        The precision of the sketch this counter uses (or will use).
        """
        return self._lg_k

    @property
    def is_exact(self) -> bool:
        """
        Whether counts are exact (the counter never went past its limit).
        """
        return self._sketch is None

    def add(self, client_id: str) -> None:
        """
        Count one client ID.

        Runtime: O(1); one set lookup if the ID was seen recently.

        Raises:
            InvalidModelError: The ID is not a ``str``, or is new and empty
                or holds a lone surrogate (a sketch could not count it).
        """
        try:
            if client_id in self._seen:
                return
        except TypeError:  # Unhashable: certainly not an ID.
            pass
        self._add_unseen(client_id)

    def update(self, client_ids: Iterable[str]) -> None:
        """
        Count every client ID of an iterable.

        Equivalent to calling :meth:`add` on each, only faster: only the
        IDs not seen before take the slow path, and once estimating they
        are collected a chunk at a time.  If an ID is rejected, the IDs
        before it have been counted and none after it; if the iterator
        raises, every ID it gave has been counted before its exception
        propagates.

        Runtime: O(n) for n IDs.

        Raises:
            InvalidModelError: ``client_ids`` is one ``str`` or not
                iterable, or an ID is not a ``str``, is empty or holds a
                lone surrogate.
        """
        feed_in_batches(client_ids, _CHUNK, self._update_batch)

    def _update_batch(self, batch: list[str]) -> None:
        """Count a chunk: the valid IDs before the first bad one; raise."""
        good, error = check_batch(batch, allow_empty=False)
        valid = batch if error is None else batch[:good]
        if self._exact is not None:
            # While exact, a plain loop is fastest: a repeated ID costs one
            # set lookup, a new one a call.
            seen = self._seen
            rest: list[str] = []
            for position, client_id in enumerate(valid):
                if client_id not in seen:
                    self._add_unseen(client_id)
                    if not self.is_exact:  # Past the limit: go on below.
                        rest = valid[position + 1 :]
                        break
            valid = rest
        if valid:
            # While estimating, repeats within a chunk cost nothing and the
            # rest is hashed in batches.
            seen = self._seen
            unseen = [
                client_id for client_id in valid if client_id not in seen
            ]
            if unseen:
                self._add_all_unseen(unseen)
        if error is not None:
            raise error

    def count(self, k: int = 2) -> Count:
        """
        Return the number of distinct clients counted.

        Args:
            k: The number of standard deviations the bounds of an estimate
                cover: 1, 2 or 3 (about 68.3 %, 95.4 %, 99.7 %).

        Returns:
            The exact count, or the estimate with its bounds.

        Raises:
            InvalidModelError: *k* is not 1, 2 or 3.
        """
        if k not in _STD_DEVS:
            field, rule = "k", "must be 1, 2 or 3"
            raise InvalidModelError(field, k, rule)
        if self._exact is not None:
            size = len(self._exact)
            return Count(
                value=size,
                is_exact=True,
                lower_bound=size,
                upper_bound=size,
                std_devs=0,
            )
        sketch = self._flushed_sketch()
        value = round(sketch.estimate())
        return Count(
            value=value,
            is_exact=False,
            lower_bound=min(value, max(0, math.floor(sketch.lower_bound(k)))),
            upper_bound=max(value, math.ceil(sketch.upper_bound(k))),
            std_devs=k,
        )

    def estimate(self) -> float:
        """
        Return the number of distinct clients, estimated once past the limit.

        Runtime: O(1) while exact.
        """
        if self._exact is not None:
            return float(len(self._exact))
        return self._flushed_sketch().estimate()

    def union(self, *others: ClientCounter) -> ClientCounter:
        """
        Return a new counter of the clients of this and every other counter.

        The result has this counter's exact limit and the smallest precision
        of all (sketches with a larger one are down-sampled).  It is exact
        if every counter is exact and the union of their IDs is within the
        limit; otherwise it is estimated.

        Runtime: O(n) for n IDs held exactly, plus O(m) per sketch.
        """
        lg_k, tier = self._combined((self, *others))
        result = ClientCounter(exact_limit=self._exact_limit, lg_k=lg_k)
        result._become(tier)
        return result

    def merge(self, other: ClientCounter) -> None:
        """
        Count the clients of *other* in this counter too.

        Like :meth:`union`, but in place: the precision becomes the smaller
        of the two, and this counter keeps its exact limit.

        Runtime: O(m) for m IDs held exactly by *other*, plus O(2**lg_k) if
        either is estimating.
        """
        if other is self:
            return
        exact, other_exact = self._exact, other._exact
        if (
            exact is not None
            and other_exact is not None
            and len(exact) + len(other_exact) <= self._exact_limit
        ):
            self._lg_k = min(self._lg_k, other._lg_k)
            exact.merge(other_exact)
            return
        self._lg_k, tier = self._combined((self, other))
        self._become(tier)

    def client_ids(self) -> Iterator[str]:
        """
        Iterate over the client IDs in sorted order.

        Raises:
            InexactCounterError: The counter is estimating.
        """
        if self._exact is None:
            operation = "client_ids"
            raise InexactCounterError(operation, self._exact_limit)
        return iter(self._exact)

    def __contains__(self, client_id: object) -> bool:
        if self._exact is None:
            operation = "in"
            raise InexactCounterError(operation, self._exact_limit)
        return client_id in self._seen

    def sketch(self) -> HyperLogLog:
        """
        Return a new sketch of the clients counted, at this precision.

        While exact, the sketch is built from the IDs (in sorted order);
        otherwise it is a copy of the counter's sketch.
        """
        if self._exact is None:
            return self._flushed_sketch().copy()
        sketch = HyperLogLog(self._lg_k)
        sketch.update(self._exact)
        return sketch

    @classmethod
    def from_sketch(cls, sketch: HyperLogLog) -> ClientCounter:
        """
        Build an estimating counter from a sketch, e.g. one made by Spark.

        The counter copies the sketch, takes its precision and the default
        exact limit, and is estimated even if the sketch is empty (a sketch
        does not know which IDs it holds).
        """
        counter = cls(lg_k=sketch.lg_k)
        counter._become(sketch.copy())
        return counter

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientCounter):
            return NotImplemented
        if (self._exact_limit, self._lg_k) != (
            other._exact_limit,
            other._lg_k,
        ):
            return False
        if self._exact is not None or other._exact is not None:
            return self._exact == other._exact
        return self._flushed_sketch() == other._flushed_sketch()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"<ClientCounter {self.count()!r} "
            f"exact_limit={self._exact_limit} lg_k={self._lg_k}>"
        )

    def to_bytes(self) -> bytes:
        """
        Serialize the counter into clientid's versioned binary format.

        The layout: ``CIDC``, a version byte (1), a mode byte (0 exact,
        1 estimated), ``lg_k`` as a byte, the exact limit as an unsigned
        64-bit little-endian integer, then the exact set's or the sketch's
        own ``to_bytes()``.

        Returns:
            The serialized counter.
        """
        if self._exact is not None:
            mode, payload = _EXACT_MODE, self._exact.to_bytes()
        else:
            mode, payload = _SKETCH_MODE, self._flushed_sketch().to_bytes()
        header = _HEADER.pack(
            COUNTER_MAGIC,
            COUNTER_FORMAT_VERSION,
            mode,
            self._lg_k,
            self._exact_limit,
        )
        return header + payload

    @classmethod
    def from_bytes(cls, data: bytes) -> ClientCounter:
        """
        Deserialize a counter written by :meth:`to_bytes`.

        Args:
            data: The serialized counter.

        Returns:
            The counter.

        Raises:
            UnsupportedFormatError: The data is not a counter or has a
                format version this release cannot read.
            DecodeError: The data is truncated, corrupt or inconsistent.
        """
        view = memoryview(as_bytes(data, "counter"))
        if len(view) < _HEADER.size:
            msg = (
                f"counter header must be {_HEADER.size} bytes, got {len(view)}"
            )
            raise DecodeError([msg])
        magic, version, mode, lg_k, exact_limit = _HEADER.unpack_from(view)
        if magic != COUNTER_MAGIC:
            msg = f"counter magic must be {COUNTER_MAGIC!r}, got {magic!r}"
            raise UnsupportedFormatError([msg])
        if version != COUNTER_FORMAT_VERSION:
            msg = (
                f"counter format version must be {COUNTER_FORMAT_VERSION}, "
                f"got {version!r}"
            )
            raise UnsupportedFormatError([msg])
        if not MIN_LG_K <= lg_k <= MAX_LG_K:
            msg = (
                f"counter lg_k must be between {MIN_LG_K} and {MAX_LG_K}, "
                f"got {lg_k!r}"
            )
            raise DecodeError([msg])
        counter = cls(exact_limit=exact_limit, lg_k=lg_k)
        counter._become(
            _decode_tier(mode, bytes(view[_HEADER.size :]), counter)
        )
        return counter

    def _combined(
        self, counters: tuple[ClientCounter, ...]
    ) -> tuple[int, ExactClientSet | HyperLogLog]:
        """Return the precision and the exact set or sketch of a union."""
        lg_k = min(counter.lg_k for counter in counters)
        parts = [self._tiers(counter) for counter in counters]
        exact = [ids for ids, _ in parts if ids is not None]
        ids = exact[0].union(*exact[1:]) if exact else ExactClientSet()
        if len(exact) == len(parts) and len(ids) <= self._exact_limit:
            return lg_k, ids
        sketch = HyperLogLog(lg_k)
        for _, part in parts:
            if part is not None:
                sketch.merge(part)
        sketch.update(ids)
        return lg_k, sketch

    @staticmethod
    def _tiers(
        counter: ClientCounter,
    ) -> tuple[ExactClientSet | None, HyperLogLog | None]:
        """Return the counter's exact set or its up-to-date sketch."""
        if counter._exact is not None:
            return counter._exact, None
        return None, counter._flushed_sketch()

    def _add_unseen(self, client_id: str) -> None:
        """Count an ID that is not in _seen (the slow path of add)."""
        # Non-empty ASCII text is by far the common case: check it inline
        # (str.isascii refuses bytes, which have an isascii of their own).
        try:
            common = client_id and _isascii(client_id)
        except TypeError:
            common = False
        if not common:
            check_client_id(client_id, allow_empty=False)
        exact = self._exact
        if exact is None:
            seen = self._seen
            if len(seen) >= self._recent_capacity:
                self._flush()
                seen.clear()
            seen.add(client_id)
            self._unhashed.append(client_id)
        elif len(self._seen) < self._exact_limit:
            exact.add(client_id)
        else:
            # Build the sketch before changing anything, so that an error
            # leaves the counter as it was.
            sketch = HyperLogLog(self._lg_k)
            sketch.update(exact)
            sketch.add(client_id)
            self._become(sketch)

    def _add_all_unseen(self, unseen: list[str]) -> None:
        """Count a chunk of unseen, checked IDs, in order, while estimating."""
        # Repeats within the chunk count once, in order of first arrival.
        fresh = list(dict.fromkeys(unseen))
        # The cache takes the chunk whole (a chunk is never larger than the
        # cache).
        seen = self._seen
        if len(seen) + len(fresh) > self._recent_capacity:
            self._flush()
            seen.clear()
        seen.update(fresh)
        self._unhashed.extend(fresh)

    def _become(self, tier: ExactClientSet | HyperLogLog) -> None:
        """Hold *tier*: an exact set, or a sketch (and then estimate)."""
        if isinstance(tier, ExactClientSet):
            self._exact = tier
            self._sketch = None
            # The fast path reads the exact tier's hash set directly, so a
            # repeated ID costs one set lookup and no method call.
            self._seen = tier._members  # noqa: SLF001
        else:
            self._exact = None
            self._sketch = tier
            self._seen = set()
        self._unhashed = []

    def _flush(self) -> None:
        """Hash the IDs waiting in _unhashed into the sketch."""
        if self._unhashed:
            if self._sketch is None:  # pragma: no cover (never while exact)
                raise AssertionError
            self._sketch.update(self._unhashed)
            self._unhashed.clear()

    def _flushed_sketch(self) -> HyperLogLog:
        self._flush()
        if self._sketch is None:  # pragma: no cover (callers check)
            raise AssertionError
        return self._sketch

    def _check(self) -> None:
        """Raise AssertionError if an internal invariant is broken."""
        _require(self._exact_limit >= 0, "exact_limit must be 0 or more")
        _require(MIN_LG_K <= self._lg_k <= MAX_LG_K, "lg_k must be in range")
        exact = self._exact
        if exact is not None:
            _require(self._sketch is None, "exact counters have no sketch")
            exact._check()  # noqa: SLF001
            _require(
                self._seen is exact._members,  # noqa: SLF001
                "the fast path must read the exact set",
            )
            _require(not self._unhashed, "exact counters hash nothing")
            _require(
                len(exact) <= self._exact_limit,
                "exact counters hold at most exact_limit IDs",
            )
            return
        _require(
            len(self._seen) <= self._recent_capacity,
            "the recent-IDs cache must stay within its capacity",
        )
        _require(
            len(set(self._unhashed)) == len(self._unhashed),
            "unhashed IDs must be distinct",
        )
        _require(
            self._seen.issuperset(self._unhashed),
            "unhashed IDs must be in the recent-IDs cache",
        )
        sketch = self._sketch
        if sketch is None:
            msg = "estimating counters have a sketch"
            raise AssertionError(msg)
        sketch._check()  # noqa: SLF001
        _require(sketch.lg_k == self._lg_k, "lg_k must be the sketch's")


def _decode_tier(
    mode: int, payload: bytes, counter: ClientCounter
) -> ExactClientSet | HyperLogLog:
    """Decode and check the payload of a serialized counter."""
    if mode == _EXACT_MODE:
        ids = ExactClientSet.from_bytes(payload)
        if len(ids) > counter.exact_limit:
            msg = (
                "exact counter must hold at most its exact_limit "
                f"{counter.exact_limit} IDs, got {len(ids)}"
            )
            raise DecodeError([msg])
        for client_id in ids:
            try:
                check_client_id(client_id, allow_empty=False)
            except InvalidModelError as exc:
                raise DecodeError([str(exc)]) from exc
        return ids
    if mode == _SKETCH_MODE:
        sketch = HyperLogLog.from_bytes(payload)
        if sketch.lg_k != counter.lg_k:
            msg = (
                f"counter sketch lg_k must be the counter's {counter.lg_k}, "
                f"got {sketch.lg_k!r}"
            )
            raise DecodeError([msg])
        return sketch
    msg = f"counter mode must be 0 or 1, got {mode!r}"
    raise DecodeError([msg])


def _require(condition: bool, invariant: str) -> None:  # noqa: FBT001
    if not condition:
        raise AssertionError(invariant)
