import pytest

from bulwark.backup.drill.rotation import RotationStateError, advance, current_slice


def test_slices_rotate_per_repository_and_wrap(tmp_path) -> None:
    assert current_slice(tmp_path, "primary", 3) == 1
    advance(tmp_path, "primary")
    assert current_slice(tmp_path, "primary", 3) == 2
    assert current_slice(tmp_path, "offsite", 3) == 1
    advance(tmp_path, "primary")
    advance(tmp_path, "primary")
    assert current_slice(tmp_path, "primary", 3) == 1


def test_covering_all_slices_takes_exactly_total_drills(tmp_path) -> None:
    seen = []
    for _ in range(90):
        seen.append(current_slice(tmp_path, "r", 90))
        advance(tmp_path, "r")
    assert sorted(seen) == list(range(1, 91))


def test_corrupt_state_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "check-slices.json").write_text("{nope")
    with pytest.raises(RotationStateError, match="check-slice state"):
        current_slice(tmp_path, "r", 90)


def test_default_rotation_reads_all_data_within_a_quarter_on_the_role_schedule(tmp_path) -> None:
    """Issue 19 item 4: the docs said "90 daily drills ≈ a quarter" while the role drills
    weekly (90 slices = 90 weeks). Now the defaults, the schedule and the docs agree."""
    import re
    from pathlib import Path

    import yaml

    from bulwark.backup.drill.settings import DRILL_INTERVAL_DAYS, QUARTER_DAYS, DrillSettings

    root = Path(__file__).resolve().parents[3]
    role = root / "roles" / "backup_agent"
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    slices = defaults["bulwark_backup_agent_drill_check_slices"]
    assert slices == DrillSettings().check_slices
    assert defaults["bulwark_backup_agent_drill_max_files"] == DrillSettings().max_files
    assert defaults["bulwark_backup_agent_drill_max_bytes"] == DrillSettings().max_bytes
    # The role's sampled drill is weekly: one weekday, one day of the week.
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \*-\*-\* [0-9:]+",
                        defaults["bulwark_backup_agent_drill_on_calendar"])
    assert re.fullmatch(r"[0-9]+ [0-9]+ \* \* [0-6]", defaults["bulwark_backup_agent_drill_cron"])
    read_on: dict[int, int] = {}
    for drill_number in range(slices):
        read_on.setdefault(current_slice(tmp_path, "r", slices), drill_number * DRILL_INTERVAL_DAYS)
        advance(tmp_path, "r")
    assert sorted(read_on) == list(range(1, slices + 1))  # every slice: all pack data
    assert max(read_on.values()) <= QUARTER_DAYS  # … within the shortest quarter
    readme = (root / "backup" / "drill" / "README.md").read_text()
    assert f"n/{slices}" in readme and f"{slices} weekly drills" in readme
    assert f"| `bulwark_backup_agent_drill_check_slices` | `{slices}` |" in (
        (role / "README.md").read_text())
