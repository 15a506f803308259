"""The pull agent as deployed: ansible-pull over file:// from a bare repository on the host,
its timer, its status object in the S3 store (moto), --verify-commit against the test signer's
key (prepare.yml), and unsigned or broken commits that change nothing."""

from __future__ import annotations

import json

import pytest

WORKDIR = "/var/lib/bulwark/pull"
BARE = "/srv/bulwark.git"
AGENT = "/opt/bulwark-pull/bin/python /usr/local/lib/bulwark/pull-agent.py /etc/bulwark/pull.json"
SIGNER = "/root/bulwark-test-signer"
# Reads the hardening status object from the host's S3 store with the backup agent's boto3 and
# the lab keys (they exist on the host only as encrypted systemd credentials).
READ_STATUS = """/opt/bulwark/bin/python - <<'PY'
import boto3
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", region_name="us-east-1",
                  aws_access_key_id="lab-access-key",
                  aws_secret_access_key="lab-Secret-Key-0001")
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


def test_the_agent_verifies_commits_against_its_own_keyring(pulled):
    host = pulled
    settings = json.loads(host.file("/etc/bulwark/pull.json").content_string)
    assert settings["verify_commit"] is True
    with host.sudo():
        keys = host.run(f"gpg --homedir {settings['gnupghome']} --batch --list-keys "
                        "--with-colons").stdout
        mode = host.file(settings["gnupghome"]).mode
    assert mode == 0o700
    assert keys.count("\npub:") + keys.startswith("pub:") == 1  # the configured key only
    assert "release@example.invalid" in keys


def _push(host, script: str, message: str, sign_with: str | None) -> str:
    """Clone the bare repository, run `script` in it, commit (signed with the key in the
    GNUPGHOME `sign_with`, or unsigned), push to main; returns the new commit."""
    signing = ""
    if sign_with:
        key = "other@example.invalid" if "foreign" in sign_with else "release@example.invalid"
        signing = f"GNUPGHOME={sign_with} git -c user.signingkey={key} "
    commit = (f"{signing or 'git '}-c user.name=t -c user.email=t@example.invalid commit "
              f"--quiet {'-S ' if sign_with else ''}-am {message!r}")
    cmd = f"""set -eu
rm -rf /tmp/work && git clone --quiet {BARE} /tmp/work && cd /tmp/work
{script}
{commit}
git push --quiet origin HEAD:main
git rev-parse HEAD
"""
    with host.sudo():
        pushed = host.run(cmd)
    assert pushed.rc == 0, pushed.stderr
    return pushed.stdout.strip().splitlines()[-1]


# What the untrusted commits would do if they were applied: a marker file under /etc.
PLANT_MARKER = """python3 - <<'PY'
path = "playbooks/timesync.yml"
text = open(path).read()
marker = "  roles:"
assert marker in text
planted = ("  pre_tasks:\\n    - name: Untrusted commit\\n      ansible.builtin.copy:\\n"
           "        dest: /etc/bulwark-untrusted-applied\\n        content: applied\\n"
           "        mode: '0644'\\n")
open(path, "w").write(text.replace(marker, planted + marker, 1))
PY"""


@pytest.mark.parametrize("signer", ["unsigned", "foreign key"])
def test_an_untrusted_commit_is_not_applied_and_reports_failed(pulled, signer):
    host = pulled
    good = _last_run(host)["last_good_commit"]
    sign_with = None
    if signer == "foreign key":
        sign_with = "/root/bulwark-test-foreign"
        with host.sudo():
            made = host.run(f"rm -rf {sign_with} && mkdir -m 0700 {sign_with} && "
                            f"GNUPGHOME={sign_with} gpg --batch --passphrase '' --quick-gen-key "
                            "'Not Release <other@example.invalid>' ed25519 sign never")
        assert made.rc == 0, made.stderr
    untrusted = _push(host, PLANT_MARKER, f"{signer} commit", sign_with)
    try:
        with host.sudo():
            run = host.run("systemctl start bulwark-pull.service")
            checkout = host.run(f"git -C {WORKDIR}/checkout rev-parse HEAD").stdout.strip()
            planted = host.file("/etc/bulwark-untrusted-applied").exists
        assert run.rc != 0
        assert not planted, "the untrusted commit's playbook ran"
        assert checkout == good  # the checkout is back at the last commit that applied cleanly
        record = _last_run(host)
        assert (record["result"], record["commit"]) == ("failed", untrusted), record
        assert record["failed_tasks"] == ['Failed to verify GPG signature of commit/tag "main"']
        status = _status(host)
        assert (status["result"], status["commit"]) == ("failed", untrusted), status
        assert status["failed_tasks"] == record["failed_tasks"]
    finally:
        # main back at the signed commit, so the next test starts from it
        with host.sudo():
            host.run(f"git -C {BARE} update-ref refs/heads/main {good}")


def test_runs_never_overlap(pulled):
    host = pulled
    with host.sudo():
        busy = host.run(f"flock {WORKDIR}/.lock {AGENT}")
    assert busy.rc == 4, busy.stdout + busy.stderr
    assert "another run is in progress" in busy.stdout


def test_a_broken_commit_changes_nothing_and_reports_failed(pulled):
    host = pulled
    good = _last_run(host)["last_good_commit"]
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
GNUPGHOME={SIGNER} git -c user.name=t -c user.email=t@example.invalid \
  -c user.signingkey=release@example.invalid commit --quiet -S \
  -am "break the playbook (signed: it reaches the playbook)"
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
