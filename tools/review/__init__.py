"""Reviewing the synthesized stacks: validate, security gate, PR plans, their summary, diagram."""
