"""One module per restic command: each builds argv, runs it and returns typed results.

They all run through `bulwark.backup.execute.Restic`, the only place that spawns restic; the
actions call these functions, never the runner (tests/unit/backup/test_layering.py).
"""
