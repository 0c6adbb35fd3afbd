"""
The activity log and its reports, Vault's and clientid's own.

It counts clients per month, namespace, mount and type.

May import: :mod:`clientid.model`, :mod:`clientid.identity` (client
resolution), :mod:`clientid.count`, :mod:`clientid.sketch`,
:mod:`clientid.formats`, :mod:`clientid.errors`.
"""
