"""An incomplete snapshot names every unreadable file, up to five and a count (issue 14,
item 11). restic runs as `nobody` (a wrapper around setpriv) so that files can be unreadable
to it although the test runs as root."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.backup.conftest import Site, assert_one_line_error, make_site

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                       reason="needs root and setpriv to run restic as nobody"),
]
NOBODY = 65534


@pytest.fixture
def nobody_site() -> Iterator[Site]:
    root = Path(tempfile.mkdtemp(prefix="bulwark-incomplete-"))  # /tmp: nobody can reach it
    try:
        site = make_site(root)
        wrapper = root / "restic-as-nobody"
        wrapper.write_text("#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "
                           f"env HOME={root} restic \"$@\"\n")
        wrapper.chmod(0o755)
        site.write_config(restic_binary=str(wrapper), exclude=[])
        for path in [root, *root.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        yield site
    finally:
        shutil.rmtree(root)


def test_incomplete_snapshot_names_the_unreadable_files(nobody_site: Site) -> None:
    site = nobody_site
    assert site.bulwark("init").returncode == 0, site.bulwark("init").stderr
    for n in range(1, 8):
        secret = site.src / f"secret{n}.key"
        secret.write_text("not for nobody\n")
        secret.chmod(0)
    line = assert_one_line_error(site.bulwark("run"), 3, "snapshot incomplete",
                                 "7 unreadable:", "and 2 more")
    for n in range(1, 6):
        assert f"{site.src}/secret{n}.key (open: permission denied)" in line
    assert site.runs()[-1]["result"] == "incomplete"
