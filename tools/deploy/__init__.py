"""Deploying one environment to the local emulator or real AWS, and the guards around it.

``python -m tools.deploy {diff,deploy,destroy,bootstrap,down}`` (``make deploy`` ...): see
``tools.deploy.cli``. ``python -m tools.deploy.rollback`` redeploys a previous release.
"""
