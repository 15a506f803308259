"""`bulwark backup init`: create missing repositories, idempotently.

The primary is created first; every other repository is created with the primary's chunker
parameters (`init --from-repo … --copy-chunker-params`) so that copies deduplicate. For s3:
URLs the bucket is created through boto3 when it is missing. Existing repositories are left
alone; one whose chunker parameters differ from the primary's is reported. A repository with
`immutable_days` gets a bucket with Object Lock (immutable.py); every existing bucket of such a
repository is checked before anything is created, so a refusal writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bulwark.backup import immutable, s3
from bulwark.backup.config import BackupConfig
from bulwark.backup.execute import Restic, Target
from bulwark.backup.lock import run_lock
from bulwark.backup.preflight import check_secrets
from bulwark.backup.records import Records, RunRecord, StepRecord
from bulwark.backup.restic.cat import repository_config
from bulwark.backup.restic.init import init
from bulwark.errors import BulwarkError


@dataclass
class InitOutcome:
    repository: str
    url: str
    created: bool
    bucket_created: bool
    chunker_polynomial: str | None
    shares_chunker: bool | None  # None for the primary itself
    immutable_days: int | None = None


def init_repositories(
    config: BackupConfig, restic: Restic, *, report: Callable[[str], None] = lambda line: None
) -> list[InitOutcome]:
    """Create what is missing; return one outcome per repository, primary first."""
    records = Records(config)
    records.ensure_dirs()
    record = RunRecord.start("init", config)
    outcomes: list[InitOutcome] = []
    try:
        with run_lock(config.state_dir, config.config_id, what=str(config.path)):
            for warning in check_secrets(config):
                report(f"warning: {warning}")
            targets = config.targets()
            _check_immutable_buckets(config, targets)
            primary = targets[config.primary]
            for name, target in targets.items():
                days = config.repositories[name].immutable_days
                step = record.add(StepRecord(step="init", repository=name, ok=False))
                started = time.monotonic()
                try:
                    chunker_source = None if name == config.primary else primary
                    outcome = _init_one(restic, target, chunker_source, days)
                finally:
                    step.duration = time.monotonic() - started
                step.ok = True
                step.detail = "created" if outcome.created else "exists"
                outcomes.append(outcome)
                report(_describe(outcome))
            _compare_chunkers(outcomes)
            for outcome in outcomes:
                if outcome.shares_chunker is False:
                    report(
                        f"warning: {outcome.repository} does not share chunker parameters with "
                        f"{config.primary}; copies to it will not deduplicate"
                    )
    except BulwarkError as exc:
        if record.steps and not record.steps[-1].ok:
            record.steps[-1].error = str(exc)
        record.finish(error=str(exc))
        records.save(record)
        raise
    record.finish()
    records.save(record)
    return outcomes


def _check_immutable_buckets(config: BackupConfig, targets: dict[str, Target]) -> None:
    for name, target in targets.items():
        days = config.repositories[name].immutable_days
        location = s3.parse_url(target.url) if days else None
        if days and location and s3.bucket_exists(location, target.env, name):
            immutable.refuse_unless_immutable(location, target.env, name, days)


def _init_one(
    restic: Restic, target: Target, chunker_source: Target | None, immutable_days: int | None
) -> InitOutcome:
    bucket_created = False
    if s3.is_s3(target.url) and immutable_days:
        bucket_created = immutable.ensure_bucket(
            s3.parse_url(target.url), target.env, target.name, immutable_days
        )
    elif s3.is_s3(target.url):
        bucket_created = s3.ensure_bucket(s3.parse_url(target.url), target.env, target.name)
    existing = repository_config(restic, target)
    created = existing is None
    if existing is None:
        init(restic, target, chunker_source)
        existing = repository_config(restic, target) or {}
    return InitOutcome(
        repository=target.name,
        url=target.display_url,
        created=created,
        bucket_created=bucket_created,
        chunker_polynomial=existing.get("chunker_polynomial"),
        shares_chunker=None,
        immutable_days=immutable_days,
    )


def _compare_chunkers(outcomes: list[InitOutcome]) -> None:
    primary = outcomes[0].chunker_polynomial
    for outcome in outcomes[1:]:
        outcome.shares_chunker = outcome.chunker_polynomial == primary


def _describe(outcome: InitOutcome) -> str:
    state = "created" if outcome.created else "already exists"
    bucket = " (bucket created)" if outcome.bucket_created else ""
    if outcome.immutable_days:
        bucket += f" (immutable: Object Lock {immutable.MODE} {outcome.immutable_days} days)"
    return f"{outcome.repository}: {outcome.url} {state}{bucket}"
