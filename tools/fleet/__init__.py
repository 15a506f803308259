"""`bulwark fleet`: the whole fleet's backup health from the status objects hosts upload.

config.py   the fleet config (or a backup config: its S3 repositories' parent prefixes)
collect.py  one listing per store, status objects read in parallel
assess.py   flags per host (backup-stale, backup-failing, drill-stale, missing, unreadable)
render.py   the table and the JSON form
cli.py      click wiring
"""
