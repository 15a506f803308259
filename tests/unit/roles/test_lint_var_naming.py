"""The custom ansible-lint rule `bulwark-var-naming` (.ci/lint_rules/), run by the repository's
own .ansible-lint over a small bad role and a small good role: it fires on every internal
variable that is not `__bulwark_<role>_*` and every knob that is not `bulwark_<role>_*`, and
the good role (knobs, internal vars, a shared contract name) passes the production profile."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

META = """\
galaxy_info:
  role_name: {role}
  namespace: bulwark
  author: Bulwark maintainers
  description: Lint fixture.
  license: Apache-2.0
  min_ansible_version: "2.17"
  platforms:
    - name: Debian
      versions: [bookworm]
dependencies: []
"""

SPEC = """\
---
argument_specs:
  main:
    short_description: Lint fixture.
    options:
      {knob}:
        type: int
        default: 22
        description: A knob.
"""

GOOD_TASKS = """\
---
- name: Read the port
  ansible.builtin.command:
    cmd: "echo {{ bulwark_demo_port }}"
  register: __bulwark_demo_port_out
  changed_when: false

- name: Remember it
  ansible.builtin.set_fact:
    __bulwark_demo_seen: "{{ __bulwark_demo_port_out.stdout }}"
    cacheable: false

- name: Checks
  vars:
    __bulwark_demo_admins: "{{ bulwark_admins | default([]) }}"
  block:
    - name: Show each admin
      ansible.builtin.debug:
        msg: "{{ __bulwark_demo_admin }}"
      loop: "{{ __bulwark_demo_admins }}"
      loop_control:
        loop_var: __bulwark_demo_admin
"""

# Each bad name with the line the rule must report it on.
BAD_TASKS = """\
---
- name: Read the port
  ansible.builtin.command:
    cmd: "echo {{ demo_port }}"
  register: bulwark_demo_out
  changed_when: false

- name: Remember it
  ansible.builtin.set_fact:
    _bulwark_demo_seen: "{{ bulwark_demo_out.stdout }}"

- name: Checks
  vars:
    __admins: []
  block:
    - name: Show each admin
      ansible.builtin.debug:
        msg: "{{ admin }}"
      loop: "{{ __admins }}"
      loop_control:
        loop_var: admin
"""
BAD_EXPECTED = {
    ("defaults/main.yml", "demo_port"),
    ("meta/argument_specs.yml", "demo_port"),
    ("vars/main.yml", "bulwark_demo__table"),
    ("tasks/main.yml", "bulwark_demo_out"),
    ("tasks/main.yml", "_bulwark_demo_seen"),
    ("tasks/main.yml", "__admins"),
    ("tasks/main.yml", "admin"),
}


def _role(root: Path, directory: str, *, knob: str, internal: str, tasks: str) -> None:
    role = root / "roles" / directory
    for sub in ("defaults", "meta", "tasks", "vars"):
        (role / sub).mkdir(parents=True)
    (role / "meta" / "main.yml").write_text(META.format(role=directory))
    (role / "meta" / "argument_specs.yml").write_text(SPEC.format(knob=knob))
    (role / "defaults" / "main.yml").write_text(f"---\n# A knob.\n{knob}: 22\n")
    (role / "vars" / "main.yml").write_text(f"---\n{internal}: bulwark\n")
    (role / "tasks" / "main.yml").write_text(tasks)


@pytest.fixture(scope="module")
def lint_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str]:
    """ansible-lint as `make lint` runs it, with this repository's .ansible-lint and rules."""
    project = tmp_path_factory.mktemp("lint")
    shutil.copy(ROOT / ".ansible-lint", project / ".ansible-lint")
    (project / ".ci").mkdir()
    (project / ".ci" / "lint_rules").symlink_to(ROOT / ".ci" / "lint_rules")
    # Both roles are named `demo` (the rule takes the role from the directory); the bad one
    # lives in a second roles/ tree so the two do not clash.
    _role(project, "demo", knob="bulwark_demo_port", internal="__bulwark_demo_table",
          tasks=GOOD_TASKS)
    bad_tree = project / "bad"
    _role(bad_tree, "demo", knob="demo_port", internal="bulwark_demo__table", tasks=BAD_TASKS)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_HOME=str(project / ".ansible"), NO_COLOR="1", ANSIBLE_NOCOLOR="1")
    done = subprocess.run([str(BIN / "ansible-lint"), "--offline", "--profile", "production",
                           "--nocolor", "-f", "pep8", "roles", "bad/roles"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    return done.returncode, done.stdout + done.stderr


def _findings(output: str) -> list[tuple[str, int, str]]:
    """(file, line, message) of each bulwark-var-naming finding in pep8 format."""
    pattern = re.compile(r"^(\S+?):(\d+)(?::\d+)?: bulwark-var-naming:? (.*)$", re.M)
    return [(m.group(1), int(m.group(2)), m.group(3)) for m in pattern.finditer(output)]


def test_the_rule_fires_on_every_bad_name(lint_output: tuple[int, str]) -> None:
    code, output = lint_output
    assert code != 0, output
    found = {(path.removeprefix("bad/roles/demo/"), re.search(r": (\S+)\)$", message).group(1))
             for path, _, message in _findings(output) if path.startswith("bad/")}
    assert found == BAD_EXPECTED, output
    lines = {(path, line) for path, line, _ in _findings(output)}
    assert ("bad/roles/demo/tasks/main.yml", 5) in lines  # register: bulwark_demo_out


def test_the_good_role_passes(lint_output: tuple[int, str]) -> None:
    _, output = lint_output
    good = [line for line in output.splitlines() if line.startswith("roles/demo/")]
    assert good == [], output

