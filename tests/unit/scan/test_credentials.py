from __future__ import annotations

from pathlib import Path

import pytest

from bulwark.scan.credentials import (
    EXTRA,
    Credential,
    CredentialListError,
    load_default_credentials,
    load_extra,
    parse_credentials,
    select,
)


def test_package_data_is_the_shared_list_with_explicit_empty_passwords() -> None:
    creds = load_default_credentials()
    pairs = {(c.user, c.password) for c in creds}
    assert {("root", "root"), ("admin", "admin"), ("pi", "raspberry")} <= pairs
    assert ("guest", "") in pairs
    assert all(isinstance(c.password, str) and c.source for c in creds)


def test_admins_are_excluded_unless_included() -> None:
    creds = [Credential("root", "root", "x"), Credential("ops", "ops", "x"),
             Credential("admin", "admin", "x")]
    assert [c.user for c in select(creds, admins=["ops", "admin"])] == ["root"]
    assert len(select(creds, admins=["ops"], include_admins=True)) == 3


def test_user_filter_and_duplicates() -> None:
    creds = [Credential("pi", "raspberry", "a"), Credential("pi", "raspberry", "b"),
             Credential("root", "", "c")]
    assert select(creds, users=["pi"]) == [creds[0]]
    assert select(creds, users=["root"])[0].password == ""


def test_numbers_and_missing_passwords_are_refused() -> None:
    with pytest.raises(CredentialListError, match="entry 1 \\(root\\): password must be"):
        parse_credentials({"credentials": [{"user": "root", "password": 1234}]}, where="f")
    with pytest.raises(CredentialListError, match="entry 1 \\(root\\)"):
        parse_credentials({"credentials": [{"user": "root", "password": None}]}, where="f")
    with pytest.raises(CredentialListError, match="'credentials' list"):
        parse_credentials(["root"], where="f")


def test_extra_file_lines(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("# site-specific\nsvc:pa:ss\n\nkiosk:\n")
    creds = load_extra(extra)
    assert [(c.user, c.password, c.origin) for c in creds] == [
        ("svc", "pa:ss", EXTRA), ("kiosk", "", EXTRA)]
    assert creds[0].label == "svc:--extra"


def test_extra_file_bad_line_does_not_echo_it(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("hunter2-without-user\n")
    with pytest.raises(CredentialListError) as err:
        load_extra(extra)
    assert "line 1" in str(err.value) and "hunter2" not in str(err.value)


def test_both_loaders_read_the_one_shared_list_and_refuse_broken_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bulwark.scan import credentials

    (tmp_path / "data").mkdir()
    shared = tmp_path / "data" / "default_credentials.yml"
    shared.write_text("credentials: [{user: root, password: \"x\"}]\nvendor_accounts: [pi]\n")
    monkeypatch.setattr(credentials.resources, "files", lambda _package: tmp_path)
    assert [(c.user, c.password) for c in credentials.load_default_credentials()] == [
        ("root", "x")]
    assert credentials.load_vendor_accounts() == ["pi"]
    shared.write_text("credentials: [unclosed\n")
    for loader in (credentials.load_default_credentials, credentials.load_vendor_accounts):
        with pytest.raises(CredentialListError, match="not valid YAML") as err:
            loader()
        assert "\n" not in str(err.value)
