"""One module per restic command: each builds argv and interprets the output, nothing else.

They all run through `bulwark.backup.execute.Restic`, the only place that spawns restic.
"""
