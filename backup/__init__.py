"""bulwark.backup: restic orchestration — backups, retention, offsite copies, restore drills."""
