"""The access review in `bulwark report` (issue 17: B32, B32b, B20b, B35) on a real lab host
converged by the accounts role, and the Molecule verify helper (issue 13 item 3) on it.

One host, `r-review` on 127.0.0.1:2371: accounts converged with `ops` declared (key) and
`leaver` departed. The report's accounts checks PASS; then a key nobody declared, a sudoers
rule nobody declared and a departed person's restored shell and key turn B32, B32b and B20b
into FAIL with evidence naming them, and the helper refuses the host.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bulwark.lab.hosts import BOOTSTRAP_SUDOERS
from bulwark.report.gather import REPO_ROOT, ansible_playbook
from tests.fixtures.labhosts import ADMIN, LabHost, pin_host_keys
from tests.fixtures.report_checks import assert_roles_pass, failures

pytestmark = [pytest.mark.integration, pytest.mark.lab]

NAME, PORT = "r-review", 2371
DEPARTED = "leaver"
REVIEW = "/var/lib/bulwark/access-review.json"


def _keypair(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True)
    return key


def _fingerprint(key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(key.with_suffix(".pub"))],
                         capture_output=True, text=True, check=True).stdout
    return out.split()[1]


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabHost, Path]]:
    """r-review with the accounts role applied; (host, inventory)."""
    from bulwark.lab import hosts
    from bulwark.lab.image import BASE_IMAGE

    if not any(Path(p, "podman").exists() for p in os.environ["PATH"].split(":")):
        pytest.fail("podman is not installed: run `make deps`")
    tmp = tmp_path_factory.mktemp("r-review")
    key = _keypair(tmp, "ops_ed25519")
    hosts.remove_host(NAME)
    hosts.run_host(NAME, image=BASE_IMAGE, ssh_port=PORT,
                   pubkey=key.with_suffix(".pub").read_text(), admin=ADMIN,
                   labels={"bulwark.test": "r"})
    host = LabHost(name=NAME, port=PORT, admin=ADMIN, key=key)
    try:
        # A former admin with a shell and a key: the role must offboard them.
        host.exec("sh", "-c", f"useradd -m -s /bin/bash {DEPARTED} && install -d -m 700 -o "
                              f"{DEPARTED} /home/{DEPARTED}/.ssh && cp /home/{ADMIN}/.ssh/"
                              f"authorized_keys /home/{DEPARTED}/.ssh/authorized_keys")
        known = pin_host_keys(tmp / "known_hosts", [host])
        inventory = tmp / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"lab": {
            "vars": {
                "bulwark_admins": [{"name": ADMIN, "ssh_keys": [
                    key.with_suffix(".pub").read_text().strip()]}],
                "bulwark_accounts_departed": [DEPARTED],
                # The lab's bootstrap rule (bulwark.lab.hosts), declared as a user declares a
                # provisioning rule they keep: the review must not flag it (B32b).
                "bulwark_accounts_sudoers_declared": [BOOTSTRAP_SUDOERS],
                "ansible_ssh_common_args": f"-o UserKnownHostsFile={known} "
                                           "-o StrictHostKeyChecking=yes",
                "ansible_python_interpreter": "/usr/bin/python3"},
            "hosts": {NAME: {"ansible_host": "127.0.0.1", "ansible_port": PORT,
                             "ansible_user": ADMIN, "ansible_ssh_private_key_file": str(key)}},
        }}))
        proc = subprocess.run(
            [ansible_playbook(), "-i", str(inventory), str(REPO_ROOT / "playbooks/accounts.yml")],
            capture_output=True, text=True, timeout=1500,
            env={**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
                 "ANSIBLE_NOCOLOR": "1"})
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        yield host, inventory
    finally:
        if not os.environ.get("BULWARK_KEEP_LAB"):  # kept for debugging a failure
            hosts.remove_host(NAME)


def _result(doc: dict, control: str) -> dict:
    (found,) = [r for r in doc["results"] if r["host"] == NAME and r["control"] == control]
    return found


def test_declared_access_passes_and_broken_access_fails(
        converged: tuple[LabHost, Path], tmp_path: Path) -> None:
    host, inventory = converged
    stored = host.exec("sha256sum", REVIEW)

    # Declared: every accounts check passes, through the Molecule helper itself.
    doc = assert_roles_pass({"accounts"}, inventory=inventory, out=tmp_path / "declared")
    for cid in ("B32", "B32b", "B20b"):
        assert _result(doc, cid)["status"] == "PASS", _result(doc, cid)
    key_fp = _fingerprint(host.key)
    review = _result(doc, "B32")["evidence"]
    assert f"{ADMIN} (shell /bin/bash" in review and key_fp in review and "UNDECLARED" not in review
    assert "role sysadmin" in review and "last login" in review
    assert _result(doc, "B20b")["evidence"] == f"departed accounts disabled: {DEPARTED}"

    # Broken: a key nobody declared, a sudoers rule nobody declared, a departed person back.
    planted = _keypair(tmp_path, "stranger_ed25519")
    subprocess.run(["podman", "exec", "-i", NAME, "sh", "-c",
                    f"cat >> /home/{ADMIN}/.ssh/authorized_keys"],
                   input=planted.with_suffix(".pub").read_text(), text=True, check=True)
    host.exec("sh", "-c", "echo 'leaver ALL=(ALL) NOPASSWD: /usr/bin/apt' "
                          "> /etc/sudoers.d/zz-planted && chmod 0440 /etc/sudoers.d/zz-planted")
    host.exec("sh", "-c", f"usermod -s /bin/bash -e '' {DEPARTED} && install -d -m 700 -o "
                          f"{DEPARTED} /home/{DEPARTED}/.ssh && cp /home/{ADMIN}/.ssh/"
                          f"authorized_keys /home/{DEPARTED}/.ssh/authorized_keys")
    with pytest.raises(AssertionError) as refused:
        assert_roles_pass({"accounts"}, inventory=inventory, out=tmp_path / "broken",
                          junit=tmp_path / "junit.xml")
    broken = json.loads((tmp_path / "broken" / "report" / "report.json").read_text())
    b32, b32b, b20b = (_result(broken, c) for c in ("B32", "B32b", "B20b"))
    assert b32["status"] == "FAIL" and _fingerprint(planted) in b32["evidence"], b32
    assert f"{ADMIN}: ssh-ed25519" in b32["evidence"]
    assert b32b["status"] == "FAIL" and "/etc/sudoers.d/zz-planted" in b32b["evidence"], b32b
    assert b20b["status"] == "FAIL" and b20b["evidence"].startswith(
        f"departed but able to log in: {DEPARTED}: shell /bin/bash"), b20b
    for cid in ("B32", "B32b", "B20b"):
        assert f"{NAME} {cid}:" in str(refused.value)
    assert any(line.startswith(f"{NAME} B32:") for line in failures(broken))
    html = (tmp_path / "broken" / "report" / "report.html").read_text()
    assert "B32b" in html and "zz-planted" in html
    junit = (tmp_path / "junit.xml").read_text()
    assert 'name="B20b' in junit and "departed but able to log in" in junit
    # The evidence play reviewed in check mode: the stored review was not rewritten.
    assert host.exec("sha256sum", REVIEW) == stored
