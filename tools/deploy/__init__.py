"""Deploying one environment to the local emulator or real AWS, and the guards around it.

One module per concern, each importing only the ones before it: ``procs``, ``awsenv``,
``commands``, ``target``, ``ecr``, the checks around an apply or a destroy, ``cli``
(``python -m tools.deploy``) and ``rollback`` (``make rollback``).
"""
