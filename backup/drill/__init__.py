"""Restore drills: sample, restore, compare, check and report (policies F18, F26–F28, G16)."""
