"""Read every status object: one listing per store, then parallel reads of what changed.

Per store, ONE `list_objects_v2` listing of the store's prefix with `Delimiter='/'` (S3 pages
it, 1000 keys a page), keeping the keys that end in `.bulwark-status.json` or
`.bulwark-hardening.json`, each with its ETag and size. An object whose ETag is in the local
cache (bulwark.fleet.cache) is not read; the others are read in a thread pool of WORKERS
(boto3 clients are thread-safe; each store's client has as many pooled connections as there
are workers), parsed, and cached.

An object that cannot be read or parsed comes back with `error` set — a flagged row, never a
crash. A store that cannot be listed stops the command with one line: endpoint down (exit 3),
credentials refused or bucket missing (exit 2: the config points at the wrong thing).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulwark.backup import s3
from bulwark.errors import BulwarkError
from bulwark.fleet.cache import StoreCache, open_store_cache
from bulwark.fleet.config import Store
from bulwark.fleet.documents import MAX_OBJECT_BYTES, Kind, Parsed, Status, host_of, kind_of, parse

WORKERS = 16
EXIT_UNREACHABLE = 3


class StoreUnreachable(BulwarkError):
    """A store's endpoint cannot be reached or answered with an error."""

    exit_code = EXIT_UNREACHABLE


class StoreRejected(BulwarkError):
    """A store's credentials were refused or its bucket does not exist."""

    exit_code = 2


@dataclass(frozen=True)
class Listed:
    key: str
    etag: str
    size: int
    kind: Kind


@dataclass(frozen=True)
class Fetched:
    """One status object: its parsed status, or why it could not be had."""

    store: str
    key: str
    kind: Kind
    status: Status | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        """The host the key names (the only name trusted: see assess)."""
        return host_of(self.key)


@dataclass
class Collected:
    fetched: list[Fetched] = field(default_factory=list)
    listed: int = 0
    read: int = 0  # objects fetched from the store this run (the rest came from the cache)
    warnings: list[str] = field(default_factory=list)


def collect(
    stores: Sequence[Store], *, workers: int = WORKERS, page_size: int | None = None,
    cache_dir: Path | None = None,
) -> Collected:
    """Every status object of every store (listing order: store, then key)."""
    result = Collected()
    slots: list[Fetched | None] = []
    work: list[tuple[int, Store, Any, Listed, StoreCache | None]] = []
    caches: list[StoreCache] = []
    session = listing_session()
    # The caches load and validate in a thread while the listings are in flight: the client
    # only waits on the endpoint then, and a warm run has nothing else to do.
    with ThreadPoolExecutor(max_workers=1) as loader:
        loading = [loader.submit(open_store_cache, cache_dir, store.display) if cache_dir
                   else None for store in stores]
        for store, pending in zip(stores, loading, strict=True):
            client = s3.client(store.location, store.env(), max_pool_connections=workers,
                               session=session)
            listed = list_status_objects(client, store, page_size)
            cache = pending.result() if pending else None
            if cache:
                caches.append(cache)
                if cache.ignored:
                    result.warnings.append(f"cache of {store.display} ignored: {cache.ignored}")
            for item in listed:
                result.listed += 1
                cached = cache.get(item.key, item.etag, item.kind) if cache else None
                if cached is not None:
                    slots.append(_fetched(store, item, cached))
                else:
                    work.append((len(slots), store, client, item, cache))
                    slots.append(None)
    if work:
        with ThreadPoolExecutor(max_workers=min(workers, len(work))) as pool:
            for index, fetched in zip((w[0] for w in work),
                                      pool.map(lambda w: read_status(*w[1:]), work), strict=True):
                slots[index] = fetched
    result.read = len(work)
    result.fetched = [item for item in slots if item is not None]
    for cache in caches:
        try:
            cache.save()
        except OSError as exc:
            result.warnings.append(f"cache {cache.path} not written: {exc.strerror or exc}")
    return result


def listing_session() -> Any:
    """A boto3 session whose S3 answers keep timestamps as text.

    The view uses no S3 timestamp (the listing's key, ETag and size; the times inside the
    objects), and botocore parses every listed LastModified with dateutil: three quarters of
    the client's CPU time for a 10,000-key listing (2.0 s, 0.45 s without; bench/RESULTS.md).
    """
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=str)
    return boto3.Session(botocore_session=core)


def list_status_objects(
    client: Any, store: Store, page_size: int | None = None
) -> list[Listed]:
    """The status objects directly under the store's prefix (one paginated listing)."""
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = f"{store.location.prefix}/" if store.location.prefix else ""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=store.location.bucket, Prefix=prefix, Delimiter="/",
        PaginationConfig={"PageSize": page_size} if page_size else {},
    )
    listed: list[Listed] = []
    try:
        for page in pages:
            for item in page.get("Contents", []):
                kind = kind_of(item["Key"])
                if kind:
                    listed.append(Listed(key=item["Key"], etag=str(item.get("ETag", "")),
                                         size=int(item.get("Size", 0)), kind=kind))
    except (BotoCoreError, ClientError) as exc:
        raise store_error(store, exc) from None
    return listed


def store_error(store: Store, exc: Exception) -> BulwarkError:
    """One line saying why a store cannot be listed, with the fitting exit code."""
    found = s3.problem(store.location, exc)
    error = StoreUnreachable if found.kind == "unreachable" else StoreRejected
    return error(f"store {store.display}: {found.text}")


def read_status(store: Store, client: Any, item: Listed, cache: StoreCache | None) -> Fetched:
    """Get and parse one status object; every problem is an `error`, never an exception."""
    from botocore.exceptions import BotoCoreError, ClientError

    if item.size > MAX_OBJECT_BYTES:  # the listing says so: no need to download it
        parsed = Parsed(error=f"larger than {MAX_OBJECT_BYTES} bytes")
    else:
        try:
            answer = client.get_object(Bucket=store.location.bucket, Key=item.key)
            with answer["Body"] as body:
                data = body.read(MAX_OBJECT_BYTES + 1)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code") or "error"
            return _fetched(store, item, Parsed(error=f"S3 answered {code}"))
        except BotoCoreError as exc:
            return _fetched(store, item, Parsed(error=exc.__class__.__name__))
        parsed = parse(item.kind, data)
        # The object may have changed between listing and reading: cache what was read under
        # the ETag it came with, so a stale listing never pins newer content to an old ETag.
        etag = str(answer.get("ETag", ""))
        if cache and etag == item.etag:
            cache.put(item.key, etag, parsed)
        return _fetched(store, item, parsed)
    if cache:
        cache.put(item.key, item.etag, parsed)
    return _fetched(store, item, parsed)


def _fetched(store: Store, item: Listed, parsed: Parsed) -> Fetched:
    return Fetched(store=store.display, key=item.key, kind=item.kind, status=parsed.status,
                   error=parsed.error)
