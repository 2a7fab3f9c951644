"""Utilities (Opacus's ``opacus.utils``)."""
