"""IAM policy evaluation as AWS documents it, for one principal in one account.

What it models (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

* an explicit ``Deny`` in any identity policy or the permissions boundary wins;
* otherwise every resource of the request needs an ``Allow`` in an identity
  policy and, when the principal has a permissions boundary, in the boundary too;
* ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?``;
  ``Resource``/``NotResource`` match case-sensitively, so a request on ``"*"``
  (an action with no resource-level permissions) matches only ``"*"``-like patterns;
* conditions: every operator in a ``Condition`` block must hold, every key of an
  operator must hold, any of a key's values may match; ``...IfExists``,
  ``ForAnyValue:``/``ForAllValues:`` and ``Null`` behave as in
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
  (a missing key fails a positive operator and satisfies a negated one).

What it does not model: resource-based policies (bucket, key and trust policies are
evaluated elsewhere), SCPs, session policies, cross-account rules, policy variables,
IP and date operators (an unknown operator never holds, so it fails closed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import eq, ge, gt, le, lt
from typing import Any

Statement = dict[str, Any]
Context = Mapping[str, Sequence[str]]

# Names the file the emulator's server appends each decision on a role session's request
# to, one JSON line each (``tools.emulator.emulator`` sets it, ``shim_patches.IamLog`` writes).
IAM_LOG_VARIABLE = "EMULATOR_IAM_LOG"


@dataclass(frozen=True)
class Request:
    """One authorization: ``action`` (``ecs:DeregisterTaskDefinition``) on each of
    ``resources`` (ARNs, or ``["*"]``), with the request context's condition keys."""

    action: str
    resources: tuple[str, ...] = ("*",)
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """``allowed``; when not, ``reason`` and the statements that matched the action
    but not the resource or condition (``closest``), to say what came near."""

    allowed: bool
    reason: str = ""
    closest: tuple[Statement, ...] = ()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def _string_equals_ci(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


def _string_like(expected: str, actual: str) -> bool:
    return _glob(expected, actual, case=True)


def _bool(expected: str, actual: str) -> bool:
    return str(expected).lower() == str(actual).lower()


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(expected: str, actual: str) -> bool:
        try:
            return compare(float(actual), float(expected))
        except ValueError:
            return False

    return match


# operator -> (value matcher, negated)
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (eq, False),
    "StringNotEquals": (eq, True),
    "StringEqualsIgnoreCase": (_string_equals_ci, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ci, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_string_like, False),  # ARN operators take wildcards in every segment
    "ArnLike": (_string_like, False),
    "ArnNotEquals": (_string_like, True),
    "ArnNotLike": (_string_like, True),
    "Bool": (_bool, False),
    "NumericEquals": (_numeric(eq), False),
    "NumericNotEquals": (_numeric(eq), True),
    "NumericLessThan": (_numeric(lt), False),
    "NumericLessThanEquals": (_numeric(le), False),
    "NumericGreaterThan": (_numeric(gt), False),
    "NumericGreaterThanEquals": (_numeric(ge), False),
}


def _lookup(context: Context, key: str) -> list[str] | None:
    """Condition keys are case-insensitive; tag keys inside them are not, but ours never clash."""
    for name, values in context.items():
        if name.lower() == key.lower():
            return [str(v) for v in _as_list(values)]
    return None


def _key_holds(operator: str, key: str, expected: list[Any], context: Context) -> bool:
    qualifier = ""
    if ":" in operator and operator.split(":", 1)[0] in ("ForAnyValue", "ForAllValues"):
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    actual = _lookup(context, key)
    if operator == "Null":
        return any(_bool(e, "true" if actual is None else "false") for e in expected)
    if operator not in OPERATORS:
        return False  # not modelled: never holds, so an Allow fails closed
    match, negated = OPERATORS[operator]
    if actual is None or (qualifier and not actual):
        if qualifier == "ForAllValues":
            return True
        return if_exists or (negated and qualifier != "ForAnyValue")

    def one(value: str) -> bool:
        hit = any(match(str(e), value) for e in expected)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in actual)
    # ForAnyValue, and single-valued keys: any value of the request may match.
    return any(one(v) for v in actual) if not negated or qualifier else all(one(v) for v in actual)


def conditions_hold(condition: Mapping[str, Mapping[str, Any]] | None, context: Context) -> bool:
    """Every operator, and every key under it, must hold."""
    for operator, keys in (condition or {}).items():
        for key, expected in keys.items():
            if not _key_holds(operator, key, _as_list(expected), context):
                return False
    return True


def _statements(policies: Iterable[Mapping[str, Any]]) -> list[Statement]:
    out: list[Statement] = []
    for policy in policies:
        out.extend(_as_list(policy.get("Statement", [])))
    return out


def _matches(statement: Statement, element: str, value: str) -> bool:
    """``Action``/``NotAction`` (case-insensitive) or ``Resource``/``NotResource`` on ``value``."""
    negated = f"Not{element}" in statement
    patterns = _as_list(statement[f"Not{element}"] if negated else statement.get(element, []))
    return any(_glob(p, value, case=element == "Resource") for p in patterns) != negated


def _applies(statement: Statement, action: str, resource: str, context: Context) -> bool:
    return (
        _matches(statement, "Action", action)
        and _matches(statement, "Resource", resource)
        and conditions_hold(statement.get("Condition"), context)
    )


def _allowed_by(statements: list[Statement], request: Request, resource: str) -> bool:
    return any(
        s.get("Effect") == "Allow" and _applies(s, request.action, resource, request.context)
        for s in statements
    )


def evaluate(
    request: Request,
    policies: Sequence[Mapping[str, Any]],
    *,
    boundary: Mapping[str, Any] | None = None,
) -> Decision:
    """Decide ``request`` for a principal holding ``policies`` (and ``boundary``)."""
    identity = _statements(policies)
    capped = _statements([boundary]) if boundary is not None else None
    for statement in identity + (capped or []):
        if statement.get("Effect") != "Deny":
            continue
        for resource in request.resources:
            if _applies(statement, request.action, resource, request.context):
                sid = statement.get("Sid", "(no Sid)")
                return Decision(False, f"explicit deny in statement {sid} on {resource}")
    for resource in request.resources:
        if not _allowed_by(identity, request, resource):
            near = tuple(
                s
                for s in identity
                if s.get("Effect") == "Allow" and _matches(s, "Action", request.action)
            )
            return Decision(False, f"no statement allows it on {resource}", near)
        if capped is not None and not _allowed_by(capped, request, resource):
            return Decision(False, f"the permissions boundary does not allow it on {resource}")
    return Decision(True)


def describe_denial(principal: str, request: Request, decision: Decision) -> str:
    """One line a person can act on: who, what, on which resource, why, what came close."""
    near = "; ".join(
        f"{s.get('Sid', '(no Sid)')} on {s.get('Resource', s.get('NotResource'))}"
        + (f" if {s['Condition']}" if s.get("Condition") else "")
        for s in decision.closest[:3]
    )
    return (
        f"{principal} is not authorized to perform {request.action} on "
        f"{', '.join(request.resources)}: {decision.reason}"
        + (f" (closest: {near})" if near else "")
    )
