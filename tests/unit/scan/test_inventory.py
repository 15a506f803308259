from __future__ import annotations

from pathlib import Path

import pytest

from bulwark.inventory import InventoryError, load_hosts


def _inventory(tmp_path: Path) -> Path:
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "hosts.yml").write_text(
        "lab:\n  hosts:\n    web1: {ansible_host: 127.0.0.1, ansible_port: 2201}\n"
        "    db1:\n  children:\n    dbs:\n      hosts:\n        db1:\n")
    # A vaulted value must not require the vault password: only connection facts are read.
    (tmp_path / "group_vars" / "dbs.yml").write_text(
        "ansible_port: 2202\nbulwark_admins: [{name: ops}, alice]\n"
        "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n")
    return tmp_path / "hosts.yml"


def test_yaml_inventory_with_group_vars_and_limit(tmp_path: Path) -> None:
    hosts = {h.name: h for h in load_hosts(_inventory(tmp_path))}
    assert (hosts["web1"].address, hosts["web1"].port, hosts["web1"].admins) == (
        "127.0.0.1", 2201, ())
    assert (hosts["db1"].address, hosts["db1"].port) == ("db1", 2202)
    assert hosts["db1"].admins == ("ops", "alice")
    assert [h.name for h in load_hosts(tmp_path / "hosts.yml", "dbs")] == ["db1"]


def test_ini_inventory(tmp_path: Path) -> None:
    ini = tmp_path / "hosts.ini"
    ini.write_text("[web]\nweb1 ansible_host=127.0.0.1 ansible_port=2203\n")
    (host,) = load_hosts(ini, "web")
    assert (host.address, host.port) == ("127.0.0.1", 2203)


@pytest.mark.parametrize(("content", "limit", "message"), [
    (None, None, "inventory not found"),
    ("lab: [unclosed\n", None, "cannot parse inventory"),
    ("lab:\n  hosts:\n    a:\n", "nomatch", "no hosts"),
    ("lab:\n  hosts:\n    a: {ansible_port: ssh}\n", None, "ansible_port is not a number"),
])
def test_errors_are_one_line(tmp_path: Path, content: str | None, limit: str | None,
                             message: str) -> None:
    path = tmp_path / "inv.yml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InventoryError, match=message) as err:
        load_hosts(path, limit)
    assert "\n" not in str(err.value)


def test_binary_file_is_not_an_inventory(tmp_path: Path) -> None:
    # Ansible's INI parser "parses" it into a host named by the raw bytes.
    path = tmp_path / "blob"
    path.write_bytes(b"\x00\x01\x02binary\xff\xfe\n")
    with pytest.raises(InventoryError, match="is not an inventory: host name") as err:
        load_hosts(path)
    assert "\n" not in str(err.value) and str(err.value).isascii()


def test_unprintable_ansible_host_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hosts.ini"
    path.write_bytes(b"[web]\nweb1 ansible_host=bad\xffhost\n")
    with pytest.raises(InventoryError, match="web1: ansible_host is not printable text"):
        load_hosts(path)
