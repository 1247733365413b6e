"""Local rehearsal of the whole deploy against the emulator (``python -m tools.rehearsal``).

Modules, lowest first (each imports only those before it): ``stages``, ``probe``,
``ci_roles``, ``release``, ``rehearse``.
"""
