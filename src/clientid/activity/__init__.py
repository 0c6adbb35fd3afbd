"""
The activity log and its reports, Vault's and clientid's own.

It counts clients per month, namespace, mount and type.

``log`` holds :class:`~clientid.ActivityLog`, a facade over its parts:
``state`` (settings, known namespaces and mounts, attribution groups,
retention), ``months`` (month keys, bounds, one month's records),
``builder`` (a report's computation), ``export`` (Vault's export records),
``image`` (``to_bytes`` / ``from_bytes``) and ``world`` (the log a scenario
describes).  ``report`` holds the report types, ``scenario`` the what-if
scenarios, ``compare`` and ``response`` the comparison with and the reading
of Vault's own reports, ``seen`` the filter of clients already attributed.

May import: :mod:`clientid.model`, :mod:`clientid.identity` (client
resolution), :mod:`clientid.count`, :mod:`clientid.sketch`,
:mod:`clientid.formats`, :mod:`clientid.errors`.
"""
