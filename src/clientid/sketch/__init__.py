"""
The HyperLogLog sketch, bit-compatible with Apache DataSketches HLL_8.

Owns: :class:`~clientid.HyperLogLog` (``hll``), its estimators and their
tables (``estimators``, ``tables``), clientid's own binary format
(``images``), the DataSketches image codec (``datasketches``), the checks
of what the counters accept (``inputs``) and the optional numpy batch path
(``batch_numpy``).
May import: :mod:`clientid.model` (the hash of a client ID) and
:mod:`clientid.errors`.
"""
