"""
The identity domain's values, and how Vault derives IDs from them.

Owns: the ID types (:mod:`~clientid.model.ids`), Go's text folding
(:mod:`~clientid.model.text`), field validators, the frozen records
(namespaces, mounts, entities, aliases, groups, tokens, roles, secret-sync
associations, ACME orders, clients), the client event, and the client-ID
hashes.
May import: :mod:`clientid.errors` only.  Everything above builds on it.
"""
