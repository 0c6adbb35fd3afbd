"""
The HyperLogLog sketch, bit-compatible with Apache DataSketches HLL_8.

Owns: :class:`~clientid.HyperLogLog`, its estimator tables, the optional
numpy batch path and the DataSketches image codec.
May import: :mod:`clientid.model` (the hash of a client ID) and
:mod:`clientid.errors`.
"""
