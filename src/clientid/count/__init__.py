"""
Distinct counting: the exact sorted set and the hybrid counter.

The counter turns into a HyperLogLog past its exact limit.

May import: :mod:`clientid.sketch`, :mod:`clientid.errors`.
"""
