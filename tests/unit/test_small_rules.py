"""Email normal form, password policy, audit metadata scrubbing, and showing a database URL without secrets."""

from __future__ import annotations

import pytest

from service.audit.writer import REDACTED, scrub
from service.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from service.db.urls import describe_database
from service.users.emails import normalize_email


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Dr.Who@Example.ORG ") == "dr.who@example.org"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "is required"),
        ("   ", "is required"),
        ("no-at-sign", "is not an email address"),
        ("a@b", "is not an email address"),
        ("a b@c.d", "is not an email address"),
        ("x" * 250 + "@a.bc", "must be at most 254 characters"),
    ],
)
def test_bad_emails_say_why(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$"):
        normalize_email(raw)


def test_password_length_is_12_to_128_and_never_altered() -> None:
    assert password_problem("x" * 11) == "must be at least 12 characters"
    assert password_problem("x" * 129) == "must be at most 128 characters"
    assert password_problem("x" * 12) is None and password_problem("x" * 128) is None
    assert password_problem(" " * 12) is None  # spaces count: passwords are not trimmed


def test_argon2id_hashes_verify_and_use_owasp_parameters() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")
    assert not verify_password("not a hash", "anything at all")
    assert not needs_rehash(hashed)
    assert needs_rehash("$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")


def test_audit_metadata_scrubbing_reaches_into_lists() -> None:
    assert scrub({"users": [{"email": "a@b.c", "temporaryPassword": "x"}, "plain"]}) == {
        "users": [{"email": "a@b.c", "temporaryPassword": REDACTED}, "plain"]
    }


def test_audit_metadata_never_keeps_a_secret() -> None:
    assert scrub(
        {
            "email": "a@b.c",
            "newPassword": "x",
            "nested": {"challengeToken": "t", "code": "ER"},
            "backupCodes": ["a"],
            "totp": "123456",
        }
    ) == {
        "email": "a@b.c",
        "newPassword": REDACTED,
        "nested": {"challengeToken": REDACTED, "code": "ER"},
        "backupCodes": REDACTED,
        "totp": REDACTED,
    }


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db.internal:6432/alerts", "db.internal:6432/alerts"),
        ("postgresql://postgres:@/postgres?host=/tmp/pg", "/tmp/pg/postgres"),
        ("postgresql://localhost", "localhost/postgres"),
    ],
)
def test_a_database_is_described_without_its_password(url: str, shown: str) -> None:
    assert describe_database(url) == shown
    assert "s3cret" not in describe_database(url)
