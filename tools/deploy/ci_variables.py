"""What to set in GitHub after ``make bootstrap``: the CI roles' repository variables.

The bootstrap stack outputs them (``ci_repository_variables`` and
``ci_environment_variables``); this turns them into the settings page to open
and the equivalent ``gh variable set`` commands. Before them comes the ``gh api``
command that sets the repository's OIDC subject template
(``ci_oidc_subject_customization``): the roles trust no token until it is set.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping


def _value(outputs: Mapping[str, object], name: str) -> dict[str, object]:
    entry = outputs.get(name)
    value = entry.get("value") if isinstance(entry, dict) else None
    return value if isinstance(value, dict) else {}


def format_ci_variables(outputs: Mapping[str, object]) -> str | None:
    """Instructions from ``terraform output -json`` of a bootstrap stack; None without CI roles."""
    repository = _value(outputs, "ci_repository_variables")
    environments = _value(outputs, "ci_environment_variables")
    if not repository:
        return None
    lines = ["Set these GitHub Actions variables (Settings > Secrets and variables > Actions):"]
    lines += [f"  repository variable  {name} = {value}" for name, value in repository.items()]
    commands = [
        f"  gh variable set {name} --body {shlex.quote(str(value))}"
        for name, value in repository.items()
    ]
    for github_env, variables in environments.items():
        if not isinstance(variables, dict):
            continue
        for name, value in variables.items():
            lines.append(f"  environment {github_env!r} variable  {name} = {value}")
            commands.append(
                f"  gh variable set {name} --env {shlex.quote(github_env)} "
                f"--body {shlex.quote(str(value))}"
            )
    return "\n".join([*_subject_template(outputs), *lines, "or with the GitHub CLI:", *commands])


def _subject_template(outputs: Mapping[str, object]) -> list[str]:
    """The ``gh api`` command that sets the OIDC subject template the roles' trust expects."""
    template = _value(outputs, "ci_oidc_subject_customization")
    repository, keys = template.get("repository"), template.get("include_claim_keys")
    if not isinstance(repository, str) or not isinstance(keys, list):
        return []
    body = json.dumps({"use_default": False, "include_claim_keys": keys}, separators=(",", ":"))
    path = f"repos/{repository}/actions/oidc/customization/sub"
    return [
        "First, as a repository admin, put the repository's OIDC subject in the format the",
        "roles trust (until then they refuse every job):",
        f"  echo {shlex.quote(body)} | gh api --method PUT {shlex.quote(path)} --input -",
        f"  gh api {shlex.quote(path)}   # check: use_default false, the same claim keys",
    ]
