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
