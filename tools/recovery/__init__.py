"""Recovering from an interrupted deploy: stale state locks, orphans, state versions.

``python -m tools.recovery`` (``make recover|unlock|doctor|...``; docs/recovery.md).
``tools.deploy.cli`` imports ``locks`` and ``orphans``; none of these imports it.
"""
