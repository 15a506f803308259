"""`bulwark fleet`: the whole fleet's hardening and backup health from the objects hosts upload.

config.py             the fleet config (or a backup config: its S3 repositories' parent prefixes)
documents.py          the two status objects' models; bytes -> model or a one-line reason
cache.py              parsed objects by ETag, one file per store; never trusted
collect.py            one listing per store, changed objects read in parallel
assess.py             trust checks (forged, clock-skew, unreadable) and flags per host
sanitise.py           text from keys and objects made safe for a terminal
render.py             the table and the JSON form
hardening_status.py   build and put the hardening status object
cli.py                click wiring
"""
