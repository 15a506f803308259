"""The pull agent reads ansible's default output: recap counts and failed task names."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

AGENT = Path(__file__).resolve().parents[3] / "roles" / "pull_agent" / "files" / "pull-agent.py"


def _agent() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pull_agent", AGENT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUN = """
PLAY [Apply the timesync role] *************************************************

TASK [Gathering Facts] *********************************************************
ok: [localhost]

TASK [timesync : Probe for a compatible python] ********************************
fatal: [localhost]: FAILED! => {"changed": false, "msg": "no python"}
...ignoring

TASK [Broken commit] ***********************************************************
fatal: [localhost]: FAILED! => {"changed": false, "msg": "this commit breaks the playbook"}

PLAY RECAP *********************************************************************
localhost                  : ok=3    changed=2    unreachable=0    failed=1    skipped=0
"""


def test_counts_and_failed_tasks_come_from_the_recap_and_fatal_lines() -> None:
    parsed = _agent().parse_output(RUN)
    assert parsed == {"changed": 2, "failed": 1, "failed_tasks": ["Broken commit"]}


def test_a_clean_run_has_no_failed_task() -> None:
    clean = RUN.replace("failed=1", "failed=0").split("TASK [Broken commit]")[0]
    clean += "localhost : ok=3    changed=0    unreachable=0    failed=0    skipped=0\n"
    assert _agent().parse_output(clean) == {"changed": 0, "failed": 0, "failed_tasks": []}


def test_a_run_that_never_reached_a_task_names_the_error() -> None:
    text = "Starting Ansible Pull\nERROR! couldn't resolve module/action 'ansible.builtin.nope'\n"
    assert _agent().first_error(text).startswith("ERROR! couldn't resolve module")


# ansible-pull --verify-commit: the git module fails before any playbook task runs.
UNSIGNED = """Starting Ansible Pull at 2026-12-06 14:30:00
/opt/bulwark-pull/bin/ansible-pull --url file:///srv/bulwark.git --verify-commit playbooks/x.yml
localhost | FAILED! => {
    "changed": false,
    "msg": "Failed to verify GPG signature of commit/tag \\"main\\"",
    "rc": 1,
    "stderr": "error: no signature found\\n"
}
"""


def test_an_unverified_commit_is_named_by_the_modules_message() -> None:
    agent = _agent()
    assert agent.parse_output(UNSIGNED) == {"changed": 0, "failed": 0, "failed_tasks": []}
    assert agent.first_error(UNSIGNED) == 'Failed to verify GPG signature of commit/tag "main"'


def test_a_failed_module_without_a_message_names_its_line() -> None:
    text = "localhost | FAILED! => {\n    \"rc\": 1\n}\n"
    assert _agent().first_error(text) == "localhost | FAILED! => {"


def test_ansible_219_error_lines_are_reduced_to_the_modules_message() -> None:
    text = ('[ERROR]: Task failed: Module failed: Failed to verify GPG signature of '
            'commit/tag "main"\nlocalhost | FAILED! => {\n    "rc": 1\n}\n')
    assert _agent().first_error(text) == 'Failed to verify GPG signature of commit/tag "main"'
