"""Optimizers (in progress)."""
