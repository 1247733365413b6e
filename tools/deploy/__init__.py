"""Deploying one environment to the local emulator or real AWS, and the guards around it.

``python -m tools.deploy {diff,deploy,destroy,bootstrap,down}`` (``make deploy`` ...): see
``tools.deploy.cli``. ``python -m tools.deploy.rollback`` redeploys a previous release.

One module per concern (lowest first; each imports only the ones above it):

- ``procs``: run a command so nothing it starts outlives it (``run``, ``Result``);
- ``awsenv``: the variables that point Terraform and boto3 at the emulator;
- ``commands``: the cdktf and Terraform commands, ``Workspace``, ``ROOT``;
- ``target``: local or AWS target, ``LOCAL_DIR``, ``aws_workspace``, ``environment_config``;
- ``ecr``: a release's image tags in ECR (``image_tags``, ``missing_tags``, ``versions_present``);
- ``deployments``, ``protection``, ``task_definitions``, ``ci_variables``: the checks and
  hints around an apply or a destroy;
- ``image_guard``: a pushed version is never rebuilt from changed sources;
- ``cli``: ``make diff|deploy|destroy|bootstrap|down`` (``diff_stacks``,
  ``not_deployed_upstreams``);
- ``rollback``: ``make rollback`` (``require_images``, ``rollback_environ``, ``RollbackRefused``).
"""
