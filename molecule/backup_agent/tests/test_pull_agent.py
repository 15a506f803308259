"""The pull agent as deployed: ansible-pull over file:// from a bare repository on the host,
its timer, its status object in the S3 store (moto) and a broken commit that changes nothing."""

from __future__ import annotations

import json

import pytest

WORKDIR = "/var/lib/bulwark/pull"
BARE = "/srv/bulwark.git"
AGENT = "/opt/bulwark-pull/bin/python /usr/local/lib/bulwark/pull-agent.py /etc/bulwark/pull.json"
# Reads the hardening status object from the host's S3 store with the backup agent's boto3.
READ_STATUS = """/opt/bulwark/bin/python - <<'PY'
import boto3
env = dict(l.strip().split("=", 1) for l in open("/etc/bulwark/offsite.env") if "=" in l)
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", region_name="us-east-1",
                  aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="bulwark-offsite").get("Contents", [])
        if o["Key"].endswith(".bulwark-hardening.json")]
assert len(keys) == 1, keys
print(s3.get_object(Bucket="bulwark-offsite", Key=keys[0])["Body"].read().decode())
PY"""


def _status(host) -> dict:
    cmd = host.run(READ_STATUS)
    assert cmd.rc == 0, cmd.stderr
    return json.loads(cmd.stdout)


def _last_run(host) -> dict:
    return json.loads(host.file(f"{WORKDIR}/last-run.json").content_string)


@pytest.fixture(scope="module")
def pulled(host):
    """One run of the agent's service, as its timer would start it."""
    with host.sudo():
        run = host.run("systemctl start bulwark-pull.service")
        assert run.rc == 0, host.run("journalctl -u bulwark-pull.service -o cat").stdout[-3000:]
    return host


def test_timer_is_enabled_randomised_and_catches_up(host):
    timer = host.service("bulwark-pull.timer")
    assert timer.is_enabled and timer.is_running
    unit = host.run("systemctl cat bulwark-pull.timer").stdout
    assert "RandomizedDelaySec=1h" in unit and "Persistent=true" in unit
    assert "bulwark-pull.timer" in host.run("systemctl list-timers --all").stdout
    assert host.run("/opt/bulwark-pull/bin/ansible-pull --version").rc == 0


def test_a_run_applies_the_playbook_and_reports_it(pulled):
    host = pulled
    head = host.run(f"git -C {BARE} rev-parse main").stdout.strip()
    record = _last_run(host)
    assert record["result"] == "ok" and record["commit"] == head, record
    assert record["failed"] == 0 and record["failed_tasks"] == []
    assert host.service("chrony").is_running  # what playbooks/timesync.yml applies
    status = _status(host)
    assert status["host"] == "backup-agent-host1"
    assert (status["result"], status["commit"], status["failed"]) == ("ok", head, 0)
    assert "lab-Secret-Key-0001" not in json.dumps(status)


def test_runs_never_overlap(pulled):
    host = pulled
    with host.sudo():
        busy = host.run(f"flock {WORKDIR}/.lock {AGENT}")
    assert busy.rc == 4, busy.stdout + busy.stderr
    assert "another run is in progress" in busy.stdout


def test_a_broken_commit_changes_nothing_and_reports_failed(pulled):
    host = pulled
    good = _last_run(host)["commit"]
    breaker = f"""set -eu
rm -rf /tmp/work && git clone --quiet {BARE} /tmp/work && cd /tmp/work
python3 - <<'PY'
path = "playbooks/timesync.yml"
text = open(path).read()
marker = "  roles:"
assert marker in text
broken = ("  pre_tasks:\\n    - name: Broken commit\\n      ansible.builtin.fail:\\n"
          "        msg: this commit breaks the playbook\\n")
open(path, "w").write(text.replace(marker, broken + marker, 1))
PY
git -c user.name=t -c user.email=t@example.invalid commit --quiet -am "break the playbook"
git push --quiet origin HEAD:main
git rev-parse HEAD
"""
    with host.sudo():
        pushed = host.run(breaker)
        assert pushed.rc == 0, pushed.stderr
        broken = pushed.stdout.strip().splitlines()[-1]
        host.run(f"touch {WORKDIR}/before-broken-run")
        run = host.run("systemctl start bulwark-pull.service")
        changed = host.run(f"find /etc /usr/local /opt -newer {WORKDIR}/before-broken-run "
                           "-type f").stdout.split()
        checkout = host.run(f"git -C {WORKDIR}/checkout rev-parse HEAD").stdout.strip()
    assert run.rc != 0
    record = _last_run(host)
    assert (record["result"], record["commit"]) == ("failed", broken), record
    assert record["failed_tasks"] == ["Broken commit"], record
    assert changed == [], changed
    assert checkout == good  # the checkout is back at the last commit that applied cleanly
    status = _status(host)
    assert (status["result"], status["commit"]) == ("failed", broken), status
    assert status["failed_tasks"] == ["Broken commit"]
