"""Numerical analyses behind the accountants (rdp, prv, gdp)."""
