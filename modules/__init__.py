"""Stacks: each composes constructs, wires them together and exposes outputs."""
