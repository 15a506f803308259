"""Bulwark: infrastructure hardening and verified backup automation."""

__version__ = "0.1.0"
