"""
Ingest adapters: audit-log entries and export records to client events.

No I/O: they take parsed records.

May import: :mod:`clientid.model`, :mod:`clientid.identity`,
:mod:`clientid.errors`.  Nothing in the core imports them except the facade.
"""
