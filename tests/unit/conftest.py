"""Fixtures shared by the unit tests of IAM policies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam_policies import synthesized_policies
from tests.synth import Synth
from tests.unit.test_ci_permissions import DEPLOY, PLAN, READ

# The CI policies built with a literal scope, beside every synthesized one.
LITERAL = {"ci deploy": DEPLOY, "ci plan": PLAN, "ci read": READ}


@pytest.fixture(scope="module")
def policies(
    synthed: Synth, synthed_tag_https: Synth, synthed_secrets: Synth, synthed_ci: Synth
) -> dict[str, dict[str, Any]]:
    """Every identity policy we make, by ``<run> <construct path>`` (or ``ci <role>``)."""
    runs = {"default": synthed, "tag-https": synthed_tag_https, "secrets": synthed_secrets}
    return {**LITERAL, **synthesized_policies({**runs, "ci": synthed_ci})}
