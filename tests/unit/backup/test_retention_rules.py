"""Retention that keeps nothing is refused at validation; the run-time plan check refuses the rest.

What restic 0.14 does with each spelling is measured in
tests/integration/backup/test_retention_guard.py; here: the config refuses them in one line, and
`check_plan` refuses plans that forget what must be kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bulwark.backup.config import Retention, load_config
from bulwark.backup.errors import ConfigError
from bulwark.backup.restic.forget import parse_plan
from bulwark.backup.retention import RetentionRefused, check_plan
from tests.fixtures.retention_cases import KEEPS_NOTHING

BASE = """\
sources: [/srv/shop]
password_file: /etc/bulwark/restic.pass
repositories:
  primary: {url: /var/backups/bulwark}
"""

def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "backup.yml"
    path.write_text(text)
    load_config(path)


@pytest.mark.parametrize(("rules", "needle"), KEEPS_NOTHING)
def test_retention_that_keeps_nothing_is_refused_in_one_line(
    tmp_path: Path, rules: str, needle: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, BASE + f"retention: {rules}\n")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'backup.yml'}:5: "), message
    assert needle in message


@pytest.mark.parametrize(("rules", "needle"), KEEPS_NOTHING[:3])
def test_repository_retention_is_checked_too(tmp_path: Path, rules: str, needle: str) -> None:
    text = BASE + f"  offsite: {{url: /mnt/offsite, retention: {rules}}}\n"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert f"repositories.offsite.{needle}" in str(caught.value)


@pytest.mark.parametrize(
    "rules",
    [{"within": "1h"}, {"within": "0d1h"}, {"within": "1y0m"}, {"within": "100000h"},
     {"last": 1}, {"daily": 7, "within": "0001d"}, {"yearly": 1_000_000}],
)
def test_retention_that_keeps_something_is_accepted(rules: dict[str, object]) -> None:
    assert Retention(**rules).forget_args()


def test_describe_names_the_rules_as_written() -> None:
    assert Retention(daily=7, within="2d").describe() == "{daily: 7, within: 2d}"


# -- the run-time check of restic's plan --------------------------------------------------------

def snap(ident: str, day: int, tags: list[str] | None = None) -> dict[str, object]:
    return {"id": ident * 8, "time": f"2026-11-{day:02d}T10:00:00.123456789Z", "tags": tags}


def plan(*groups: tuple[list[dict[str, object]], list[dict[str, object]]]):  # noqa: ANN201
    return parse_plan([[{"host": "web1", "paths": [f"/src{n}"], "keep": keep, "remove": remove}
                        for n, (keep, remove) in enumerate(groups)]])


def refused(the_plan, made: list[str]) -> str:  # noqa: ANN001
    with pytest.raises(RetentionRefused) as caught:
        check_plan(the_plan, made=made, host="web1", retention="{within: 1h}",
                   repository="primary")
    message = str(caught.value)
    assert message.startswith("retention {within: 1h} on primary refused: "), message
    assert "nothing was forgotten" in message and "\n" not in message
    return message


def test_plan_that_removes_nothing_passes() -> None:
    check_plan(plan(([snap("a", 3)], [])), made=["aaaaaaaa"], host="web1", retention="r",
               repository="primary")
    check_plan(parse_plan([]), made=[], host="web1", retention="r", repository="primary")


def test_plan_that_keeps_older_snapshots_passes() -> None:
    check_plan(plan(([snap("b", 3)], [snap("a", 1)])), made=["bbbbbbbb"], host="web1",
               retention="r", repository="primary")


def test_plan_forgetting_every_snapshot_of_the_host_is_refused() -> None:
    message = refused(plan(([], [snap("a", 1), snap("b", 3)])), made=[])
    assert "every snapshot of host web1 (2)" in message


def test_pre_restore_snapshots_do_not_count_as_kept_backups() -> None:
    message = refused(plan(([snap("p", 1, ["pre-restore"])], [snap("a", 2), snap("b", 3)])), [])
    assert "every snapshot of host web1" in message


def test_plan_forgetting_the_snapshot_of_this_run_is_refused() -> None:
    # The group's newest is a snapshot dated in the future (a clock that was once wrong).
    the_plan = plan(([snap("f", 30)], [snap("a", 3)]))
    assert "snapshot aaaaaaaa made by this run" in refused(the_plan, made=["aaaaaaaa"])


def test_plan_forgetting_the_newest_of_a_group_is_refused() -> None:
    the_plan = plan(([snap("a", 3)], []), ([snap("b", 1)], [snap("c", 2)]))
    assert "snapshot cccccccc, the newest of /src1" in refused(the_plan, made=[])
