"""A host found with only `bookworm main` (plain debootstrap), month-old lists and the main suite
listed twice: the patching role repairs apt and patches (issue 15, D1, A4), admin access stays."""

import os
import pathlib

import paramiko

ADDED = "/etc/apt/sources.list.d/bulwark-debian.sources"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
SSH_PORT = 2361


def _before(host) -> dict[str, str]:
    text = host.file("/root/bulwark-apt-before").content_string
    keep = ("lists-", "now=")
    return dict(line.split("=", 1) for line in text.splitlines() if line.startswith(keep))


def _mirror(host) -> str:
    for line in host.file("/root/bulwark-apt-before").content_string.splitlines():
        if line.startswith("deb "):
            return line.split()[1].rstrip("/")
    raise AssertionError("no one-line deb entry before converge")


def test_host_started_without_security_suite_and_with_stale_lists(host):
    before = host.file("/root/bulwark-apt-before").content_string
    assert "bookworm main" in before
    assert "-security" not in before and "bookworm-updates" not in before
    ages = _before(host)
    assert int(ages["now"]) - int(ages["lists-mtime"]) > 20 * 86400


def test_missing_suites_added_signed_from_the_host_mirror(host):
    added = host.file(ADDED)
    assert added.exists and added.user == "root" and added.mode == 0o644
    stanzas = [s for s in added.content_string.split("\n\n") if "Types:" in s]
    fields = [dict(line.split(": ", 1) for line in s.splitlines() if ": " in line
                   and not line.startswith("#")) for s in stanzas]
    by_suite = {f["Suites"]: f for f in fields}
    mirror = _mirror(host)
    security = mirror.removesuffix("/debian") + "/debian-security"
    assert by_suite["bookworm-security"]["URIs"] == security
    assert by_suite["bookworm-updates"]["URIs"] == mirror
    assert all(f["Signed-By"] == KEYRING and f["Components"] == "main" for f in fields)


def test_duplicate_one_line_entry_commented_out(host):
    lines = host.file("/etc/apt/sources.list").content_string.splitlines()
    assert not [line for line in lines if line.startswith("deb ")]
    assert any("Bulwark: also in /etc/apt/sources.list.d/debian.sources" in line for line in lines)
    policy = host.run("apt-cache policy")
    assert "configured multiple times" not in policy.stderr


def test_lists_refreshed_and_security_lists_present(host):
    assert int(host.check_output("stat -c %Y /var/lib/apt/lists")) > int(_before(host)["now"])
    policy = host.check_output("apt-cache policy")
    assert "l=Debian-Security," in policy
    assert "bookworm-updates" in policy


def test_admin_still_logs_in_with_key_and_sudo(host):
    key_file = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ops_ed25519"
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=SSH_PORT, username="ops", key_filename=str(key_file),
                   allow_agent=False, look_for_keys=False, timeout=20, banner_timeout=30)
    try:
        _, stdout, _ = client.exec_command("sudo -n true && echo sudo-ok", timeout=60)
        assert stdout.read().decode().strip() == "sudo-ok"
        assert stdout.channel.recv_exit_status() == 0
    finally:
        client.close()
