"""
Vault's own record formats that clientid writes.

Activity exports: JSON lines and CSV, every version.

May import: :mod:`clientid.model`, :mod:`clientid.errors`.
"""
