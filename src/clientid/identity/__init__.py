"""
The identity store and the resolution of tokens and logins to clients.

Owns: :class:`~clientid.IdentityStore` and its per-concern parts, and the
rules that turn a token into the client Vault counts.
May import: :mod:`clientid.model`, :mod:`clientid.errors`.
"""
