"""roles/patching bulwark_apt_sources: missing Debian suites and duplicate entries (issue 15)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.roles.modules import load

sources = load("patching", "bulwark_apt_sources")

MIRROR = "http://deb.debian.org/debian"
DEB822 = f"""Types: deb
URIs: {MIRROR}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def _etc(tmp_path: Path, sources_list: str = "", parts: dict[str, str] | None = None) -> Path:
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text(sources_list)
    for name, text in (parts or {}).items():
        (etc / "sources.list.d" / name).write_text(text)
    return etc


def _analyse(etc: Path, managed: str = "bulwark-debian.sources") -> dict:
    entries = sources.read_entries(str(etc), str(etc / "sources.list.d" / managed))
    return sources.analyse(entries, "bookworm", ["security", "updates"])


def test_plain_debootstrap_lacks_security_and_updates(tmp_path: Path) -> None:
    result = _analyse(_etc(tmp_path, f"deb {MIRROR} bookworm main\n"))
    assert result["mirror"] == MIRROR
    assert result["components"] == ["main"]
    assert result["missing"] == ["bookworm-security", "bookworm-updates"]
    assert result["duplicates"] == []


def test_complete_deb822_sources_lack_nothing(tmp_path: Path) -> None:
    result = _analyse(_etc(tmp_path, parts={"debian.sources": DEB822}))
    assert result["missing"] == []
    assert result["configured"]["bookworm-security"] == ["http://deb.debian.org/debian-security"]


def test_only_updates_missing(tmp_path: Path) -> None:
    text = (f"deb [signed-by=/k.gpg] {MIRROR}/ bookworm main contrib\n"
            "# deb http://old/debian bookworm-updates main\n"
            "deb http://security.debian.org/debian-security bookworm-security main\n")
    result = _analyse(_etc(tmp_path, text))
    assert result["missing"] == ["bookworm-updates"]
    assert result["mirror"] == f"{MIRROR}/"
    assert result["components"] == ["main", "contrib"]


def test_the_role_own_file_does_not_count(tmp_path: Path) -> None:
    etc = _etc(tmp_path, f"deb {MIRROR} bookworm main\n", {"bulwark-debian.sources": DEB822})
    assert _analyse(etc)["missing"] == ["bookworm-security", "bookworm-updates"]


def test_disabled_stanza_does_not_count(tmp_path: Path) -> None:
    etc = _etc(tmp_path, f"deb {MIRROR} bookworm main\n",
               {"extra.sources": DEB822.replace("Types: deb\n", "Types: deb\nEnabled: no\n")})
    assert _analyse(etc)["missing"] == ["bookworm-security", "bookworm-updates"]


def test_suite_in_sources_list_and_deb822_is_a_duplicate(tmp_path: Path) -> None:
    text = (f"deb {MIRROR}/ bookworm main\n"
            f"deb {MIRROR} bookworm main contrib\n"  # contrib is listed nowhere else: kept
            "deb-src http://deb.debian.org/debian bookworm main\n")
    etc = _etc(tmp_path, text, {"debian.sources": DEB822})
    result = _analyse(etc)
    assert result["duplicates"] == [{"file": str(etc / "sources.list"),
                                     "line": f"deb {MIRROR}/ bookworm main",
                                     "duplicate_of": str(etc / "sources.list.d/debian.sources")}]
    assert result["missing"] == []


def test_no_debian_entry_at_all(tmp_path: Path) -> None:
    result = _analyse(_etc(tmp_path))
    assert result["mirror"] == ""
    assert result["missing"] == ["bookworm-security", "bookworm-updates"]
