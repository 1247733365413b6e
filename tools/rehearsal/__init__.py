"""Local rehearsal of the whole deploy against the emulator (see docs/emulator.md).

``python -m tools.rehearsal`` runs it once: emulator up, apply every stack,
re-plan to zero changes, destroy, check nothing is left, emulator down
(``rehearse``); ``release`` rehearses a version bump and a rollback on top.

One module per concern (lowest first; each imports only the ones above it):

- ``stages``: a stage's timing and failure (``Clock``, ``StageFailed``, ``check``,
  ``summary``) and the stages both runs share (``check_services``, ``replan_all``);
- ``ci_roles``: Terraform with the CI roles' sessions;
- ``release``: day 2, a second release and a rollback (``day_two``, ``register_images``);
- ``rehearse``: the whole run (``rehearse``, ``main``).
"""
