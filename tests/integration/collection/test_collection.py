"""The repository as the `bulwark.hardening` collection: built from this checkout (with its
.venv, caches and lab inventory in place), installed into a temporary collections path, its role
documented by `ansible-doc`, and a lab host converged by a playbook that names only FQCN roles.

Roles come only from the installed collection: ansible runs with a config whose roles_path
points nowhere, from a directory outside the checkout (one last run uses the checkout's roles,
to show the role-local plugins still work there). Lab host `c-collection` on 127.0.0.1:2381
(the lab's own API); roles: ssh + firewall (the access pair; the whole site takes ~5 minutes a
host) plus the services role's listener report, which runs the role-local module
`bulwark_listeners` (the ssh role's filter plugin `ssh_keys` runs in the converge too).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
HOST = "c-collection"
PORT = 2381
ADMIN = "ops"
ARTEFACT_TOP = {"MANIFEST.json", "FILES.json", "README.md", "meta", "roles", "playbooks",
                "plugins", "tools"}


@dataclass(frozen=True)
class Installed:
    artefact: Path
    env: dict[str, str]
    workdir: Path

    def run(self, *argv: str, timeout: int = 900,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True,
                              env={**self.env, **(env or {})}, cwd=self.workdir,
                              timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    out = tmp_path_factory.mktemp("c-build")
    work = tmp_path_factory.mktemp("c-work")
    (work / "ansible.cfg").write_text(
        "[defaults]\nroles_path = /nonexistent\nhost_key_checking = false\n"
        "retry_files_enabled = false\ninterpreter_python = auto_silent\n"
        "[ssh_connection]\npipelining = true\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(work / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(work / "collections"),
               ANSIBLE_HOME=str(work / ".ansible"), ANSIBLE_NOCOLOR="1")
    built = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                            str(out), str(ROOT)], capture_output=True, text=True, env=env,
                           timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    artefact = out / "bulwark-hardening-0.1.0.tar.gz"
    done = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps",
                           "-p", str(work / "collections"), str(artefact)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return Installed(artefact=artefact, env=env, workdir=work)


def test_the_artefact_holds_roles_and_playbooks_only(installed: Installed) -> None:
    with tarfile.open(installed.artefact) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))  # type: ignore[arg-type]
        runtime = yaml.safe_load(tar.extractfile("meta/runtime.yml"))  # type: ignore[arg-type]
    assert {name.split("/")[0] for name in names} == ARTEFACT_TOP
    # Only the data file roles/accounts/files links to comes along from the Python package.
    assert sorted(n for n in names if n.split("/")[0] == "tools") == [
        "tools", "tools/data", "tools/data/default_credentials.yml"]
    forbidden = re.compile(r"(^|/)(\.venv|tests?|molecule|inventories|bench|__pycache__|"
                           r"\.pytest_cache|\.ruff_cache|\.git|.*\.egg-info)(/|$)|\.pyc$|"
                           r"lab-s3\.yml$|ansible\.cfg$|\.env$|\.pass$|id_ed25519")
    assert [name for name in names if forbidden.search(name)] == []
    roles = {name.split("/")[1] for name in names if name.startswith("roles/") and "/" in name[6:]}
    assert {"ssh", "firewall", "accounts", "services", "audit", "backup_agent"} <= roles
    assert "playbooks/site.yml" in names
    for plugin in ("plugins/filter/ssh_keys.py", "plugins/modules/bulwark_listeners.py",
                   "plugins/modules/bulwark_weak_passwords.py"):
        assert plugin in names
    assert manifest["collection_info"]["namespace"] == "bulwark"
    assert manifest["collection_info"]["name"] == "hardening"
    assert set(manifest["collection_info"]["dependencies"]) == {"ansible.posix",
                                                                "community.crypto"}
    assert runtime["requires_ansible"] == ">=2.17.0,<2.20.0"


def test_a_clean_checkout_builds(tmp_path: Path) -> None:
    """`git archive HEAD` (what a fresh clone has, symlinks included) builds the same shape."""
    source = tmp_path / "checkout"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    built = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                            str(tmp_path / "out"), str(source)], capture_output=True, text=True,
                           timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    with tarfile.open(tmp_path / "out" / "bulwark-hardening-0.1.0.tar.gz") as tar:
        assert {name.split("/")[0] for name in tar.getnames()} == ARTEFACT_TOP


def test_ansible_doc_shows_the_role_argument_spec(installed: Installed) -> None:
    done = installed.run("ansible-doc", "-t", "role", "bulwark.hardening.ssh")
    assert done.returncode == 0, done.stderr
    assert "bulwark.hardening.ssh" in done.stdout
    assert "bulwark_ssh_port" in done.stdout and "bulwark_ssh_allow_groups" in done.stdout
    listed = installed.run("ansible-doc", "-t", "role", "-l", "bulwark.hardening")
    assert listed.returncode == 0, listed.stderr
    for role in ("ssh", "firewall", "accounts", "audit"):
        assert f"bulwark.hardening.{role}" in listed.stdout


def test_collection_playbooks_parse(installed: Installed) -> None:
    (installed.workdir / "inv").write_text("h ansible_connection=local\n")
    done = installed.run("ansible-playbook", "-i", "inv", "--syntax-check",
                         "bulwark.hardening.site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ansible_collections/bulwark/hardening/playbooks/site.yml" in done.stdout


ACCOUNTS_PLAY = """\
- name: The accounts role's admin filters, run from the collection
  hosts: all
  gather_facts: true
  gather_subset: [min]
  vars:
    # facts.yml reads the account databases (root only); validate.yml needs just the names.
    __bulwark_accounts_admin_names: "{{ bulwark_admins | map(attribute='name') | list }}"
  tasks:
    - name: Validate the admin list
      ansible.builtin.include_role:
        name: bulwark.hardening.accounts
        tasks_from: validate

    - name: Write the access review (each admin's role comes from the role's filter)
      ansible.builtin.include_role:
        name: bulwark.hardening.accounts
        tasks_from: review
"""


def test_the_accounts_filters_work_from_the_collection(installed: Installed) -> None:
    """A collection role does not load its filter_plugins/: a short-name filter call fails here
    ("No filter named ..."), the FQCN pattern validates the admins and gives each one a role.
    On the controller itself (local connection): the review only reads the account databases
    and writes one file in the temp dir. daemon and bin stand in for admins (they exist)."""
    review = installed.workdir / "review.json"
    (installed.workdir / "local").write_text(
        f"local ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    (installed.workdir / "accounts.yml").write_text(ACCOUNTS_PLAY)

    def play(admins: list[dict[str, str]]) -> subprocess.CompletedProcess[str]:
        return installed.run("ansible-playbook", "-i", "local", "accounts.yml", "-e",
                             json.dumps({"bulwark_admins": admins,
                                         "bulwark_accounts_review_path": str(review)}),
                             timeout=300)

    good = play([{"name": "daemon", "role": "auditor"}, {"name": "bin"}])
    assert good.returncode == 0, good.stdout[-4000:] + good.stderr[-2000:]
    roles = {a["name"]: a["role"] for a in json.loads(review.read_text())["accounts"]}
    assert roles["daemon"] == "auditor" and roles["bin"] == "sysadmin"
    assert roles.get("root") is None

    bad = play([{"name": "daemon"}, {"name": "daemon", "role": "auditor"}])
    assert bad.returncode != 0
    assert "bulwark_admins is invalid, nothing changed" in bad.stdout, bad.stdout[-4000:]
    assert "daemon is listed 2 times" in bad.stdout


@pytest.fixture(scope="module")
def lab_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """c-collection from the lab image; yields the admin's private key."""
    from bulwark.lab import hosts
    from bulwark.lab.image import BASE_IMAGE

    key = tmp_path_factory.mktemp("c-keys") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "c-tests", "-f",
                    str(key)], check=True)
    hosts.remove_host(HOST)  # a leftover of an interrupted run
    hosts.run_host(HOST, image=BASE_IMAGE, ssh_port=PORT,
                   pubkey=key.with_suffix(".pub").read_text(), admin=ADMIN,
                   labels={"bulwark.test": "c"})
    try:
        yield key
    finally:
        hosts.remove_host(HOST)


PLAYBOOK = """\
- name: Converge by FQCN roles only
  hosts: all
  become: true
  roles:
    - role: bulwark.hardening.ssh
    - role: bulwark.hardening.firewall

- name: Listener report (the services role's role-local module)
  hosts: all
  become: true
  gather_facts: false
  tasks:
    - name: Write the listener report
      ansible.builtin.include_role:
        name: bulwark.hardening.services
        tasks_from: listeners
"""


def recap(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith(HOST) and "ok=" in line)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


def test_a_lab_host_converges_by_fqcn(installed: Installed, lab_host: Path) -> None:
    inventory = installed.workdir / "lab.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"bulwark_admins": [{"name": ADMIN, "ssh_keys": [
            lab_host.with_suffix(".pub").read_text().strip()]}]},
        "hosts": {HOST: {"ansible_host": "127.0.0.1", "ansible_port": PORT,
                         "ansible_user": ADMIN, "ansible_ssh_private_key_file": str(lab_host)}},
    }}))
    playbook = installed.workdir / "converge.yml"
    playbook.write_text(PLAYBOOK)
    first = installed.run("ansible-playbook", "-i", str(inventory), str(playbook))
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert recap(first.stdout)["failed"] == 0 and recap(first.stdout)["changed"] > 0

    # The collection's own playbook over the converged host: it finds the role, changes nothing.
    again = installed.run("ansible-playbook", "-i", str(inventory), "bulwark.hardening.ssh")
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-2000:]
    assert recap(again.stdout)["changed"] == 0

    # The same roles from the checkout (roles_path, role-local filter_plugins/ and library/)
    # over the same host: they agree with the collection's, so nothing changes either.
    checkout = installed.run("ansible-playbook", "-i", str(inventory),
                             str(ROOT / "playbooks" / "ssh.yml"),
                             env={"ANSIBLE_ROLES_PATH": str(ROOT / "roles")})
    assert checkout.returncode == 0, checkout.stdout[-4000:] + checkout.stderr[-2000:]
    assert recap(checkout.stdout)["changed"] == 0

    def on_host(*argv: str) -> str:
        return subprocess.run(["podman", "exec", HOST, *argv], capture_output=True, text=True,
                              check=True).stdout

    sshd = on_host("sshd", "-T")
    assert "passwordauthentication no" in sshd and "permitrootlogin no" in sshd
    assert "policy drop" in on_host("nft", "list", "ruleset")
    report = json.loads(on_host("cat", "/var/lib/bulwark/services/listeners.json"))
    assert report.get("schema") == "bulwark.services.listeners/1"
