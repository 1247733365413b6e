"""Recovering from an interrupted deploy: stale state locks, orphans, state versions.

``python -m tools.recovery {unlock,doctor,adopt,purge,state-versions,state-restore} --env ENV``
(``make unlock`` ...); docs/recovery.md explains when to use which.
"""
