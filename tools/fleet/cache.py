"""A local cache of parsed status objects, keyed by the ETag the store's listing reports.

The listing (which `fleet status` does anyway) gives every object's ETag; an object whose ETag
is the one cached is not read again. One file per store:

    $XDG_CACHE_HOME/bulwark/fleet/<sha256 of the store URL>.json      (mode 0600, dir 0700)
    {"format": "bulwark.fleet-cache", "version": 1, "store": "s3:…",
     "entries": {"<key>": {"etag": "…", "status": {…}} | {"etag": "…", "error": "not JSON"}}}

The cache speeds things up; it is never trusted. A file that is not ours (another owner,
writable by group or others, not a regular file), unreadable, not JSON or of another format,
version or store is ignored whole; an entry whose status does not validate as the model of its
key's kind is ignored alone. Ignored means: the object is read from the store again. The trust
checks (forged, clock-skew) run on cached entries exactly as on fresh ones: they are made in
`assess`, every run. Only answers that the object's bytes decide are cached, never an S3 error.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulwark.fleet.documents import Kind, Parsed, kind_of, validate

FORMAT = "bulwark.fleet-cache"
VERSION = 1
MAX_CACHE_BYTES = 256 * 1024 * 1024


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bulwark" / "fleet"


@dataclass
class StoreCache:
    """The cached entries of one store, and the entries of this run to write back."""

    path: Path
    store: str
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)
    valid: dict[str, tuple[str, Parsed]] = field(default_factory=dict)  # key: (etag, answer)
    ignored: str | None = None  # why the file was ignored, if it was
    dirty: bool = False  # an entry was added or replaced this run

    def get(self, key: str, etag: str, kind: Kind) -> Parsed | None:
        """The cached answer for this key at this ETag, if there is a valid one."""
        found = self.valid.get(key)
        if found is None or found[0] != etag or kind_of(key) != kind:
            return None
        self.new[key] = self.old[key]
        return found[1]

    def check_entries(self) -> None:
        """Validate every entry up front, so that `get` is a lookup (`collect` opens the cache
        in a thread while the store's listing is in flight: the client only waits then)."""
        self.valid = {}
        for key, entry in self.old.items():
            kind = kind_of(key)
            if kind is None or not isinstance(entry, dict) or not isinstance(entry.get("etag"),
                                                                             str):
                continue
            if "status" in entry:
                parsed = validate(kind, entry["status"])
                if parsed.status is None:
                    continue
            elif isinstance(entry.get("error"), str) and entry["error"]:
                parsed = Parsed(error=entry["error"][:200])
            else:
                continue
            self.valid[key] = (entry["etag"], parsed)

    def put(self, key: str, etag: str, parsed: Parsed) -> None:
        self.dirty = True
        if parsed.status is not None:
            self.new[key] = {"etag": etag, "status": parsed.status.model_dump(mode="json")}
        elif parsed.error:
            self.new[key] = {"etag": etag, "error": parsed.error}

    def save(self) -> None:
        """Write this run's entries (objects gone from the store drop out); atomic. Nothing to
        write when every entry came from the file unchanged and none went away."""
        if not self.dirty and self.ignored is None and len(self.new) == len(self.old):
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps({"format": FORMAT, "version": VERSION, "store": self.store,
                           "entries": self.new}, separators=(",", ":"))
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def open_store_cache(directory: Path, store: str) -> StoreCache:
    """The cache of `store` in `directory`, its entries validated; an untrustworthy file gives
    an empty cache."""
    path = directory / f"{hashlib.sha256(store.encode()).hexdigest()[:32]}.json"
    cache = StoreCache(path=path, store=store)
    try:
        cache.old = _read(path, store)
    except _Ignored as why:
        cache.ignored = str(why)
    cache.check_entries()
    return cache


class _Ignored(Exception):
    pass


def _read(path: Path, store: str) -> dict[str, Any]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise _Ignored(f"cannot open: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _Ignored("not a regular file")
        if info.st_uid != os.geteuid():
            raise _Ignored("owned by another user")
        if info.st_mode & 0o022:
            raise _Ignored("writable by group or others")
        if info.st_size > MAX_CACHE_BYTES:
            raise _Ignored("too large")
        data = handle.read()
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _Ignored("not JSON") from None
    if not isinstance(document, dict) or (
        document.get("format"), document.get("version"), document.get("store")
    ) != (FORMAT, VERSION, store):
        raise _Ignored("another format, version or store")
    entries = document.get("entries")
    if not isinstance(entries, dict):
        raise _Ignored("no entries")
    return entries
