"""Helpers shared by the test suite (not a test package: pytest collects nothing here)."""
