"""The LDAP directory asked for real (OpenLDAP's slapd on a loopback port, tests/directory_server.py):
who a person is, whether the password is theirs, their groups; nothing typed changes a filter or a DN;
a directory that cannot answer says so."""

from __future__ import annotations

import socket
import time

import pytest

from engine.people import DirectorySettings, DirectoryUnavailable, directory_person, probe_directory
from tests.directory_server import PEOPLE, PEOPLE_IN_DIRECTORY, DirectoryServer, directory_server

__all__ = ["directory_server"]

FANG_PASSWORD = PEOPLE_IN_DIRECTORY["wang_fang"][1]


def test_a_person_found_with_the_service_account_signs_in_with_their_groups(
    directory_server: DirectoryServer,
) -> None:
    settings = directory_server.settings()
    person = directory_person(settings, "wang_fang", FANG_PASSWORD)
    assert person is not None
    assert (person.username, person.display_name, person.email) == (
        "wang_fang",
        "王芳",
        "wang_fang@hotline.test",
    )
    assert "hotline-operators" in person.groups and "everyone" in person.groups
    assert settings.roles_of(person.groups) == {"operator"}
    assert probe_directory(settings) is None


def test_a_user_dn_template_binds_directly(directory_server: DirectoryServer) -> None:
    settings = directory_server.settings(
        user_dn_template=f"uid={{username}},{PEOPLE}", bind_dn="", bind_password="", user_base=""
    )
    person = directory_person(settings, "liu_yang", PEOPLE_IN_DIRECTORY["liu_yang"][1])
    assert person is not None and settings.roles_of(person.groups) == {"repair", "department_head"}
    assert directory_person(settings, "liu_yang", "wrong") is None


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_a_wrong_or_empty_password_and_an_unknown_name_find_nobody(
    directory_server: DirectoryServer, password: str
) -> None:
    """An empty password would be an anonymous bind, which the directory accepts: refused before it."""
    settings = directory_server.settings()
    assert directory_person(settings, "wang_fang", password) is None
    assert directory_person(settings, "nobody_here", FANG_PASSWORD) is None


@pytest.mark.parametrize(
    "typed",
    [
        "*",
        "wang*",
        "wang_fang)(uid=*",
        "*)(|(uid=*",
        "wang_fang)(|(objectClass=*",
        "wang_fang\x00",
        "wang_fang,ou=people",
        "x,uid=wang_fang",
    ],
)
def test_nothing_typed_as_a_user_name_changes_the_filter_or_the_dn(
    directory_server: DirectoryServer, typed: str
) -> None:
    """LDAP injection: the name is escaped as a filter value and as a DN value, so each of these names
    a person nobody is, and fang's password signs none of them in, in either way of finding people."""
    searched = directory_server.settings()
    templated = directory_server.settings(
        user_dn_template=f"uid={{username}},{PEOPLE}", bind_dn="", user_base=""
    )
    assert directory_person(searched, typed, FANG_PASSWORD) is None
    assert directory_person(templated, typed, FANG_PASSWORD) is None


def test_a_directory_that_cannot_answer_says_so(directory_server: DirectoryServer) -> None:
    settings = directory_server.settings()
    directory_server.stop()
    with pytest.raises(DirectoryUnavailable):
        directory_person(settings, "wang_fang", FANG_PASSWORD)
    assert "cannot be reached" in (probe_directory(settings) or "")
    refused = directory_server.settings(bind_password="not-the-service-password")
    assert probe_directory(refused) is not None


def test_a_directory_that_takes_the_connection_but_never_answers_gives_up_after_the_timeout() -> None:
    """A hung server (the port accepts, nothing answers): the sign-in waits the timeout, not forever."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = DirectorySettings(url=f"ldap://127.0.0.1:{port}", user_base="ou=people", timeout=1.0)
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            directory_person(settings, "wang_fang", FANG_PASSWORD)
        assert time.monotonic() - started < 10
