"""Shared pytest configuration: fixtures for real servers live in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.postgresql",
    "tests.fixtures.labhosts",
]
