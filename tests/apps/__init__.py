"""Tests for the frontend and backend apps in apps/ (run as real processes)."""
