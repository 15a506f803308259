"""One module per user action (init, run, status; drill and restore): thin orchestration."""
