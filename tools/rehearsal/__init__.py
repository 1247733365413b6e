"""Local rehearsal of the whole deploy against the emulator (see docs/emulator.md).

``python -m tools.rehearsal`` runs it once: emulator up, apply every stack,
re-plan to zero changes, destroy, check nothing is left, emulator down
(``rehearse``); ``release`` rehearses a version bump and a rollback on top.
"""
