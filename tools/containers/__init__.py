"""Build and run the real images the way Fargate will, on a local Docker engine.

One module per concern:

- ``engine``: find a Docker engine, or install and start Debian's ``dockerd``;
- ``base``: the pinned base image, or a stand-in debootstrapped from Debian's packages;
- ``registry``: Debian's ``docker-registry`` on 127.0.0.1, standing in for ECR;
- ``build``: ``docker build`` of the apps, push, digests, image-vs-task-definition check;
- ``taskdefs``: the container definitions, read from a fresh synth of the services stack;
- ``run``: the containers on a user-defined network, under the task definitions' settings;
- ``browser``: headless Chromium driven by selenium;
- ``harness``: the whole run (``up``/``down``), and the hooks ``make deploy|destroy|down`` call.

``python -m tools.containers {setup,up,down,check}``; see docs/containers.md.
"""
