"""Read every status object: one listing per store, then parallel reads.

Per store, ONE `list_objects_v2` listing of the store's prefix with `Delimiter='/'` (S3 pages
it, 1000 keys a page), keeping the keys that end in `.bulwark-status.json`. Then all objects of
all stores are read in a thread pool of WORKERS (boto3 clients are thread-safe; each store's
client has as many pooled connections as there are workers).

An object that cannot be read or parsed comes back with `error` set — a flagged row, never a
crash. A store that cannot be listed stops the command with one line: endpoint down (exit 1),
credentials refused or bucket missing (exit 2: the config points at the wrong thing).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bulwark.backup import s3
from bulwark.backup.status_object import KIND, SCHEMA_VERSION, SUFFIX
from bulwark.errors import BulwarkError
from bulwark.fleet.config import Store

WORKERS = 16
MAX_OBJECT_BYTES = 1 << 20


class StoreUnreachable(BulwarkError):
    """A store's endpoint cannot be reached or answered with an error."""

    exit_code = 1


class StoreRejected(BulwarkError):
    """A store's credentials were refused or its bucket does not exist."""

    exit_code = 2


@dataclass(frozen=True)
class Fetched:
    """One status object: its parsed document, or why it could not be had."""

    store: str
    key: str
    document: dict[str, Any] | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        """The host name the key suggests (used when the document cannot be read)."""
        return self.key.rpartition("/")[2].removesuffix(SUFFIX)


def collect(
    stores: tuple[Store, ...] | list[Store], *, workers: int = WORKERS,
    page_size: int | None = None,
) -> list[Fetched]:
    """Every status object of every store (listing order: store, then key)."""
    work: list[tuple[Store, Any, str]] = []
    for store in stores:
        client = s3.client(store.location, store.env(), max_pool_connections=workers)
        work += [(store, client, key) for key in list_status_keys(client, store, page_size)]
    if not work:
        return []
    with ThreadPoolExecutor(max_workers=min(workers, len(work))) as pool:
        return list(pool.map(lambda item: read_status(*item), work))


def list_status_keys(client: Any, store: Store, page_size: int | None = None) -> list[str]:
    """The status-object keys directly under the store's prefix (one paginated listing)."""
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = f"{store.location.prefix}/" if store.location.prefix else ""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=store.location.bucket, Prefix=prefix, Delimiter="/",
        PaginationConfig={"PageSize": page_size} if page_size else {},
    )
    try:
        return [
            item["Key"]
            for page in pages
            for item in page.get("Contents", [])
            if item["Key"].endswith(SUFFIX)
        ]
    except (BotoCoreError, ClientError) as exc:
        raise store_error(store, exc) from None


def store_error(store: Store, exc: Exception) -> BulwarkError:
    """One line saying why a store cannot be listed, with the fitting exit code."""
    found = s3.problem(store.location, exc)
    error = StoreUnreachable if found.kind == "unreachable" else StoreRejected
    return error(f"store {store.display}: {found.text}")


def read_status(store: Store, client: Any, key: str) -> Fetched:
    """Get and parse one status object; every problem is an `error`, never an exception."""
    from botocore.exceptions import BotoCoreError, ClientError

    fetched = Fetched(store=store.display, key=key)
    try:
        body = client.get_object(Bucket=store.location.bucket, Key=key)["Body"]
        with body:
            data = body.read(MAX_OBJECT_BYTES + 1)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code") or "error"
        return _unreadable(fetched, f"S3 answered {code}")
    except BotoCoreError as exc:
        return _unreadable(fetched, exc.__class__.__name__)
    if len(data) > MAX_OBJECT_BYTES:
        return _unreadable(fetched, f"larger than {MAX_OBJECT_BYTES} bytes")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _unreadable(fetched, "not JSON")
    problem = _not_a_status(document)
    if problem:
        return _unreadable(fetched, problem)
    return Fetched(store=store.display, key=key, document=document)


def _not_a_status(document: Any) -> str | None:
    if not isinstance(document, dict) or document.get("kind") != KIND:
        return f"not a {KIND} document"
    if document.get("schema_version") != SCHEMA_VERSION:
        return f"schema_version {document.get('schema_version')!r} is not {SCHEMA_VERSION}"
    if not isinstance(document.get("host"), str) or not document["host"]:
        return "no host"
    return None


def _unreadable(fetched: Fetched, reason: str) -> Fetched:
    return Fetched(store=fetched.store, key=fetched.key, error=reason)
