"""boto3 errors read in one place (s3.problem): the backup probe and the fleet listing agree."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from bulwark.backup import s3
from bulwark.backup.errors import CredentialsRejected, RepositoryUnreachable
from bulwark.fleet.collect import StoreRejected, StoreUnreachable, store_error
from bulwark.fleet.config import Store

LOCATION = s3.parse_url("s3:http://h:9/b/fleet/web1")


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "HeadBucket")


class FailingClient:
    def __init__(self, exc: Exception):
        self.exc = exc

    def head_bucket(self, **_: Any) -> None:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "probe", "store", "text"),
    [
        (EndpointConnectionError(endpoint_url="http://h:9"), RepositoryUnreachable,
         StoreUnreachable, "cannot connect to http://h:9"),
        (client_error("AccessDenied"), CredentialsRejected, StoreRejected,
         "S3 credentials rejected by http://h:9 (AccessDenied); check its env_file"),
        (client_error("ExpiredToken"), CredentialsRejected, StoreRejected,
         "S3 credentials rejected by http://h:9 (ExpiredToken); check its env_file"),
        (NoCredentialsError(), CredentialsRejected, StoreRejected, "no S3 credentials (set "
         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the env_file)"),
        (client_error("InternalError"), RepositoryUnreachable, StoreUnreachable,
         "http://h:9 answered InternalError"),
    ],
)
def test_probe_and_fleet_read_an_error_the_same_way(
    monkeypatch: pytest.MonkeyPatch, exc: Exception, probe: type, store: type, text: str
) -> None:
    monkeypatch.setattr(s3, "client", lambda *args, **kwargs: FailingClient(exc))
    with pytest.raises(probe) as caught:
        s3.bucket_exists(LOCATION, {}, "offsite")
    assert str(caught.value) == f"repository offsite: {text}"
    listed = store_error(Store(location=LOCATION), exc)
    assert type(listed) is store and str(listed) == f"store s3:http://h:9/b/fleet/web1: {text}"


def test_a_missing_bucket_is_an_answer_for_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3, "client",
                        lambda *args, **kwargs: FailingClient(client_error("NoSuchBucket")))
    assert s3.bucket_exists(LOCATION, {}, "offsite") is False
    listed = store_error(Store(location=LOCATION), client_error("NoSuchBucket"))
    assert isinstance(listed, StoreRejected) and listed.exit_code == 2
    assert str(listed).endswith("bucket b does not exist at http://h:9")
