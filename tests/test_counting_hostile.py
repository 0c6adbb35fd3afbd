"""
Hostile inputs to the distinct counters: named errors, nothing lost.

:class:`HyperLogLog`, :class:`ExactClientSet` and :class:`ClientCounter`
share one rule for what they take (``clientid.sketch.inputs``):

* a non-``str`` ID raises :class:`InvalidModelError` naming ``client_id``;
  in a batch, every ID before it is counted and none after it;
* items a caller's iterator gave before it raised are counted, then its
  exception propagates;
* decoders take bytes-like data only and raise :class:`DecodeError`;
* a sketch image's HIP accumulator and kxq sums must be what its registers
  allow.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientid import ClientCounter, ExactClientSet, HyperLogLog
from clientid.errors import ClientIdError, DecodeError, InvalidModelError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

datasketches = pytest.importorskip("datasketches")


HLL_8 = datasketches.tgt_hll_type.HLL_8


class PoisonedError(Exception):
    """What a caller's iterator raises part-way."""


def poisoned(items: list[Any], exc: BaseException) -> Iterator[Any]:
    """Yield ``items``, then raise ``exc``."""
    yield from items
    raise exc


def _ids(count: int, prefix: str = "id") -> list[str]:
    return [f"{prefix}-{index:07d}" for index in range(count)]


def _hll(lg_k: int = 12) -> HyperLogLog:
    return HyperLogLog(lg_k)


def _counter_exact() -> ClientCounter:
    return ClientCounter(exact_limit=1 << 20, lg_k=10)


def _counter_estimating() -> ClientCounter:
    return ClientCounter(exact_limit=0, lg_k=10)


def _state(counter: object) -> bytes:
    """What a counter holds, comparable across counters of one kind."""
    to_bytes: Callable[[], bytes] = counter.to_bytes  # type: ignore[attr-defined]
    return to_bytes()


MAKERS: dict[str, Callable[[], Any]] = {
    "hll": _hll,
    "exact-set": ExactClientSet,
    "counter-exact": _counter_exact,
    "counter-estimating": _counter_estimating,
}


def _fed(make: Callable[[], Any], items: list[str]) -> bytes:
    counter = make()
    for item in items:
        counter.add(item)
    return _state(counter)


# --------------------------------------------------------------------------
# Poisoned iterators.
# --------------------------------------------------------------------------


class TestPoisonedIterators:
    """
    Everything pulled before the iterator raised is counted.
    """

    @pytest.mark.parametrize("kind", sorted(MAKERS))
    @pytest.mark.parametrize("pulled", [0, 1, 4095, 4096, 32767, 40000])
    def test_items_before_the_exception_are_counted(self, kind, pulled):
        """
        The iterator's own exception propagates, after counting its items.
        """
        make = MAKERS[kind]
        items = _ids(pulled)
        counter = make()

        with pytest.raises(PoisonedError):
            counter.update(poisoned(items, PoisonedError("disk gone")))

        assert _state(counter) == _fed(make, items)

    @pytest.mark.parametrize("kind", sorted(MAKERS))
    def test_keyboard_interrupt_counts_the_items_before_it(self, kind):
        """
        Not only Exception: a KeyboardInterrupt also keeps pulled items.
        """
        make = MAKERS[kind]
        items = _ids(5000)
        counter = make()

        with pytest.raises(KeyboardInterrupt):
            counter.update(poisoned(items, KeyboardInterrupt()))

        assert _state(counter) == _fed(make, items)

    @given(
        kind=st.sampled_from(sorted(MAKERS)),
        pulled=st.integers(0, 9000),
        seen=st.integers(0, 50),
    )
    @settings(max_examples=40, deadline=None)
    def test_poisoned_updates_never_lose_pulled_items(
        self, kind, pulled, seen
    ):
        """
        Any failure point, after any earlier IDs: the pulled prefix counts.
        """
        make = MAKERS[kind]
        before = _ids(seen, "before")
        items = _ids(pulled)
        counter = make()
        counter.update(before)

        with pytest.raises(PoisonedError):
            counter.update(poisoned(items, PoisonedError()))

        assert _state(counter) == _fed(make, before + items)


# --------------------------------------------------------------------------
# The kind of a client ID.
# --------------------------------------------------------------------------

BAD_IDS: list[object] = [b"client", bytearray(b"c"), 5, None, 1.5, ("a",)]


class TestClientIdKind:
    """
    Only str IDs; the rest raise InvalidModelError naming the value.
    """

    @pytest.mark.parametrize("kind", sorted(MAKERS))
    @pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
    def test_add_rejects_a_non_str_and_changes_nothing(self, kind, bad):
        """
        add() of bytes, numbers or None names client_id and the value.
        """
        make = MAKERS[kind]
        counter = make()
        counter.update(_ids(10))

        with pytest.raises(InvalidModelError) as info:
            counter.add(bad)

        assert info.value.field == "client_id"
        assert info.value.value is bad
        assert "must be a str" in str(info.value)
        assert _state(counter) == _fed(make, _ids(10))

    @pytest.mark.parametrize("kind", sorted(MAKERS))
    @pytest.mark.parametrize("position", [0, 1, 1023, 1024, 5000, 33000])
    @pytest.mark.parametrize("container", [list, iter])
    def test_update_counts_the_ids_before_a_non_str_and_none_after(
        self, kind, position, container
    ):
        """
        The documented rule: every valid ID before the bad one counts.
        """
        make = MAKERS[kind]
        items: list[Any] = [*_ids(position), b"bytes-id", *_ids(50, "after")]
        counter = make()

        with pytest.raises(InvalidModelError) as info:
            counter.update(container(items))

        assert info.value.value == b"bytes-id"
        assert _state(counter) == _fed(make, _ids(position))

    @pytest.mark.parametrize("kind", sorted(MAKERS))
    @pytest.mark.parametrize("single", ["client-a", b"client-a"])
    def test_update_rejects_one_string_for_an_iterable(self, kind, single):
        """
        update("abc") would count "a", "b", "c": it is refused instead.
        """
        counter = MAKERS[kind]()

        with pytest.raises(InvalidModelError) as info:
            counter.update(single)

        assert info.value.field == "client_ids"
        assert counter.estimate() == 0

    @pytest.mark.parametrize("kind", sorted(MAKERS))
    def test_update_rejects_a_non_iterable(self, kind):
        """
        update(5) raises our error, not TypeError.
        """
        with pytest.raises(InvalidModelError) as info:
            MAKERS[kind]().update(5)

        assert info.value.field == "client_ids"

    def test_bytes_ids_never_reach_a_counter(self):
        """
        A counter given bytes refuses them; to_bytes still works after.
        """
        counter = ClientCounter(["a"], exact_limit=2)

        with pytest.raises(InvalidModelError):
            counter.add(b"b")  # type: ignore[arg-type]
        counter.update(["b", "c"])

        assert not counter.is_exact
        assert ClientCounter.from_bytes(counter.to_bytes()) == counter

    def test_counter_constructor_rejects_a_non_str(self):
        """
        ClientCounter([...]) applies the same rule.
        """
        with pytest.raises(InvalidModelError):
            ClientCounter(["a", 5])  # type: ignore[list-item]

    def test_exact_set_constructor_rejects_a_non_str(self):
        """
        ExactClientSet([...]) applies the same rule.
        """
        with pytest.raises(InvalidModelError):
            ExactClientSet(["a", b"b"])  # type: ignore[list-item]

    def test_str_subclasses_count_as_their_text(self):
        """
        A str subclass is a str: it counts as the plain string would.
        """

        class Tagged(str):
            __slots__ = ()

        sketch = HyperLogLog()
        sketch.add(Tagged("client"))
        sketch.update([Tagged("other")])
        plain = HyperLogLog()
        plain.update(["client", "other"])

        assert sketch == plain


# --------------------------------------------------------------------------
# Decoders take bytes only.
# --------------------------------------------------------------------------

DECODERS: dict[str, Callable[[Any], object]] = {
    "hll": HyperLogLog.from_bytes,
    "datasketches": HyperLogLog.from_datasketches,
    "exact-set": ExactClientSet.from_bytes,
    "counter": ClientCounter.from_bytes,
}


class TestDecoderInputs:
    """
    A decoder given anything but bytes raises DecodeError, allocating nothing.
    """

    @pytest.mark.parametrize("decoder", sorted(DECODERS))
    @pytest.mark.parametrize(
        "data", [2**40, 5, -1, "c1", None, 1.0, [1, 2], object()], ids=repr
    )
    def test_non_bytes_raise_decode_error(self, decoder, data):
        """
        An int is not a length to allocate; a str is not bytes.
        """
        with pytest.raises(DecodeError) as info:
            DECODERS[decoder](data)

        assert "must be bytes" in str(info.value)

    @pytest.mark.parametrize("decoder", sorted(DECODERS))
    @pytest.mark.parametrize("wrap", [bytearray, memoryview])
    def test_bytes_like_data_decodes(self, decoder, wrap):
        """
        bytearray and memoryview decode as bytes do.
        """
        encoders: dict[str, Callable[[], bytes]] = {
            "hll": _dense().to_bytes,
            "datasketches": _dense().to_datasketches,
            "exact-set": ExactClientSet(_ids(3)).to_bytes,
            "counter": ClientCounter(_ids(3)).to_bytes,
        }
        data = encoders[decoder]()

        assert DECODERS[decoder](wrap(data)) == DECODERS[decoder](data)


# --------------------------------------------------------------------------
# HIP accumulator and kxq fields.
# --------------------------------------------------------------------------

_HIP_AT: int = 5
_DS_HIP_AT: int = 8
_DS_KXQ0_AT: int = 16
_DS_KXQ1_AT: int = 24


def _dense(lg_k: int = 10, n: int = 20_000) -> HyperLogLog:
    sketch = HyperLogLog(lg_k)
    sketch.update(_ids(n, "dense"))
    return sketch


def _with_double(data: bytes, at: int, value: float) -> bytes:
    return data[:at] + struct.pack("<d", value) + data[at + 8 :]


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


FORMATS: dict[str, tuple[Callable[[HyperLogLog], bytes], Any, int]] = {
    "own": (HyperLogLog.to_bytes, HyperLogLog.from_bytes, _HIP_AT),
    "datasketches": (
        HyperLogLog.to_datasketches,
        HyperLogLog.from_datasketches,
        _DS_HIP_AT,
    ),
}


class TestHipField:
    """
    The HIP accumulator must be what the registers allow.
    """

    @pytest.mark.parametrize("fmt", sorted(FORMATS))
    @pytest.mark.parametrize(
        "hip",
        [
            1.7976931348623157e308,
            2.3e81,
            1e12,
            0.0,
            1.0,
            -0.0,
            math.inf,
            math.nan,
            -5.0,
        ],
    )
    def test_impossible_accumulators_raise_decode_error(self, fmt, hip):
        """
        Far above or below any feed's accumulator: refused, not counted.
        """
        encode, decode, at = FORMATS[fmt]
        data = _with_double(encode(_dense()), at, hip)

        with pytest.raises(DecodeError) as info:
            decode(data)

        assert "HIP accumulator" in str(info.value)

    @pytest.mark.parametrize("fmt", sorted(FORMATS))
    @pytest.mark.parametrize("bit", range(55, 64))
    def test_a_flipped_exponent_or_sign_bit_is_refused(self, fmt, bit):
        """
        The probe: one flipped high bit gave 2.3e81 clients.
        """
        encode, decode, at = FORMATS[fmt]
        data = _flip(encode(_dense()), at * 8 + bit)

        with pytest.raises(DecodeError):
            decode(data)

    @pytest.mark.parametrize("fmt", sorted(FORMATS))
    @pytest.mark.parametrize(("lg_k", "n"), [(4, 9), (4, 5000), (12, 3000)])
    def test_real_accumulators_load(self, fmt, lg_k, n):
        """
        What a feed produces is inside the bounds, at promotion too.
        """
        encode, decode, _ = FORMATS[fmt]
        sketch = _dense(lg_k, n)

        assert decode(encode(sketch)).estimate() == sketch.estimate()

    @given(
        lg_k=st.integers(4, 14),
        n=st.integers(1, 30_000),
        seed=st.integers(0, 1000),
    )
    @settings(max_examples=30, deadline=None)
    def test_datasketches_accumulators_always_load(self, lg_k, n, seed):
        """
        Every image the reference library writes passes the check.
        """
        for hll_type in (
            datasketches.tgt_hll_type.HLL_4,
            datasketches.tgt_hll_type.HLL_6,
            datasketches.tgt_hll_type.HLL_8,
        ):
            reference = datasketches.hll_sketch(lg_k, hll_type)
            for index in range(n):
                reference.update(f"{seed}-{index}")
            for image in (
                reference.serialize_compact(),
                reference.serialize_updatable(),
            ):
                loaded = HyperLogLog.from_datasketches(image)
                assert loaded.estimate() == pytest.approx(
                    reference.get_estimate(), rel=1e-12
                )

    def test_a_loaded_maximal_accumulator_cannot_crash_count(self):
        """
        The probe: a maximal double crashed ClientCounter.count().
        """
        data = _with_double(_dense().to_bytes(), _HIP_AT, 1.797e308)
        counter = ClientCounter(exact_limit=0, lg_k=10).to_bytes()[:15]

        with pytest.raises(DecodeError):
            ClientCounter.from_bytes(counter + data)


class TestKxqFields:
    """
    The kxq sums of a DataSketches image must be its registers' sums.
    """

    @pytest.mark.parametrize("at", [_DS_KXQ0_AT, _DS_KXQ1_AT])
    @pytest.mark.parametrize(
        "value", [math.nan, math.inf, -1.0, 1e300, 5e-324, 3.0]
    )
    def test_wrong_kxq_sums_raise_decode_error(self, at, value):
        """
        Not finite, negative or not the registers' sum: refused.
        """
        data = _with_double(_dense().to_datasketches(), at, value)

        with pytest.raises(DecodeError) as info:
            HyperLogLog.from_datasketches(data)

        assert "kxq" in str(info.value)

    @pytest.mark.parametrize(
        ("lg_k_a", "lg_k_b"), [(10, 10), (12, 10), (4, 4), (8, 12)]
    )
    def test_union_images_of_the_reference_load(self, lg_k_a, lg_k_b):
        """
        Out-of-order images (unions, down-sampled) pass the check.
        """
        union = datasketches.hll_union(12)
        for lg_k, prefix in ((lg_k_a, "a"), (lg_k_b, "b")):
            part = datasketches.hll_sketch(lg_k, HLL_8)
            for index in range(20_000):
                part.update(f"{prefix}{index}")
            union.update(part)
        for hll_type in (
            datasketches.tgt_hll_type.HLL_4,
            datasketches.tgt_hll_type.HLL_8,
        ):
            result = union.get_result(hll_type)
            for image in (
                result.serialize_compact(),
                result.serialize_updatable(),
            ):
                loaded = HyperLogLog.from_datasketches(image)
                assert loaded.estimate() == pytest.approx(
                    result.get_estimate(), rel=1e-9
                )


@given(
    fmt=st.sampled_from(sorted(FORMATS)),
    at=st.integers(0, 40),
    junk=st.binary(min_size=1, max_size=8),
)
@settings(max_examples=200, deadline=None)
def test_corrupted_headers_never_give_a_raw_error(fmt, at, junk):
    """
    Overwrite any header bytes: a clientid error or a sketch that works.
    """
    encode, decode, _ = FORMATS[fmt]
    data = bytearray(encode(_dense()))
    data[at : at + len(junk)] = junk
    try:
        sketch = decode(bytes(data))
    except ClientIdError:
        return
    sketch._check()
    counter = ClientCounter.from_sketch(sketch)
    count = counter.count(3)
    assert math.isfinite(sketch.upper_bound(3))
    assert 0 <= count.lower_bound <= count.value <= count.upper_bound
