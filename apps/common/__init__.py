"""Code both apps share: ``runtime`` (env parsing, JSON logs, serving) and ``healthcheck``.

Both images copy this folder to ``/app/common`` and set ``PYTHONPATH=/app``; run the apps
from the repository with ``PYTHONPATH=apps`` so they import it the same way.
"""
