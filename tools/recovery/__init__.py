"""Recovering from an interrupted deploy: stale state locks, orphans, state versions.

``python -m tools.recovery {unlock,doctor,adopt,purge,state-versions,state-restore} --env ENV``
(``make unlock`` ...); docs/recovery.md explains when to use which.

One module per concern (``tools.deploy.cli`` imports ``locks`` and ``orphans``; none of
these imports ``tools.deploy.cli``):

- ``context``: the environment a command acts on (``Context``, ``resolve``, ``RecoveryError``);
- ``locks``: stale state locks (``after_failure``: the hint after a failed deploy);
- ``orphans``: tagged resources in no state (``preflight``: before a deploy);
- ``versions``: going back to an earlier state file;
- ``faults``: ``make rehearse-faults``, crashing deploys on purpose.
"""
