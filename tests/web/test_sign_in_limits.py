"""Guessing passwords is throttled per account and per client address (in the database, so every web
process counts the same failures), and an unknown or disabled username costs the same argon2 check
as a known one, so neither the answer nor its time tells which usernames exist."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import engine.people.users
from engine.clock import SettableClock
from engine.db import SignInFailure
from engine.people import find_user, set_active, set_password
from engine.runtime import Runtime
from tests.web.support import DEMO_PASSWORD, Page, get


def try_sign_in(client: FlaskClient, username: str, password: str, address: str = "10.0.0.1") -> Page:
    token = get(client, "/login").csrf_token()
    environ = {"REMOTE_ADDR": address}
    body = {"username": username, "password": password, "csrf_token": token}
    return Page(client.post("/login", data=body, environ_base=environ))


LOCKED = "该用户名或本机登录失败次数过多，请于 {} 之后再试。"


def test_the_sixth_wrong_password_is_locked_out_and_so_is_the_right_one_until_the_lock_ends(
    client: FlaskClient, clock: SettableClock, sessions: sessionmaker[Session]
) -> None:
    for _ in range(5):
        assert try_sign_in(client, "operator", "guess-123").status == 401
    # 09:00 in Shanghai when the first failure was recorded: locked until 09:15.
    sixth = try_sign_in(client, "operator", "guess-123")
    assert sixth.status == 429
    assert sixth.flashes() == [LOCKED.format("09:15")]
    assert sixth.by_id("username").get("value") == "operator"

    clock.advance(timedelta(minutes=14))
    right = try_sign_in(client, "operator", DEMO_PASSWORD)
    assert right.status == 429, "the right password is refused while the account is locked"
    assert client.get("/tasks").status_code == 302

    clock.advance(timedelta(minutes=1, seconds=1))
    assert try_sign_in(client, "operator", DEMO_PASSWORD).status == 302
    assert client.get("/tasks").status_code == 200

    with sessions() as session:
        failures = session.scalars(select(SignInFailure)).all()
        assert [(f.username, f.address) for f in failures] == [("operator", "10.0.0.1")] * 5


def test_the_lock_is_per_account_other_accounts_still_sign_in(client: FlaskClient, app: Flask) -> None:
    for _ in range(6):
        try_sign_in(client, "operator", "guess-123")
    other = app.test_client()
    assert try_sign_in(other, "dispatcher", DEMO_PASSWORD, address="10.0.0.2").status == 302


def test_twenty_failures_from_one_address_lock_that_address(app: Flask, client: FlaskClient) -> None:
    # Four guesses at each of five accounts: no account reaches its limit, the address does.
    for username in ("operator", "dispatcher", "liaison", "worker", "nobody"):
        for _ in range(4):
            assert try_sign_in(client, username, "guess-123", address="10.9.9.9").status == 401
    assert try_sign_in(client, "supervisor", DEMO_PASSWORD, address="10.9.9.9").status == 429
    assert try_sign_in(app.test_client(), "supervisor", DEMO_PASSWORD, address="10.0.0.3").status == 302


def test_unknown_usernames_are_throttled_like_known_ones(client: FlaskClient) -> None:
    for _ in range(5):
        assert try_sign_in(client, "no-such-user", "guess-123").status == 401
    assert try_sign_in(client, "no-such-user", "guess-123").status == 429


class CountingHasher(PasswordHasher):
    """argon2 itself, counting its checks."""

    def __init__(self, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.checks = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 - argon2's name
        self.checks += 1
        return super().verify(hash, password)


@pytest.mark.parametrize("who", ["known-wrong-password", "unknown", "disabled", "known-right-password"])
def test_every_sign_in_costs_one_argon2_check_whoever_it_names(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
) -> None:
    hasher = CountingHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(engine.people.users, "_hasher", hasher)
    if who == "disabled":
        with sessions.begin() as session:
            user = find_user(session, "liaison")
            assert user is not None
            set_active(session, runtime.clock, user, False)
    username, password = {
        "known-wrong-password": ("operator", "guess-123"),
        "unknown": ("no-such-user", "guess-123"),
        "disabled": ("liaison", DEMO_PASSWORD),
        "known-right-password": ("operator", DEMO_PASSWORD),
    }[who]
    try_sign_in(client, "warm-up", "x")  # the dummy hash is made once per hasher, outside the count
    hasher.checks = 0

    page = try_sign_in(client, username, password)

    assert page.status == (302 if who == "known-right-password" else 401)
    assert hasher.checks == 1


def test_unknown_and_known_usernames_take_the_same_time_with_production_argon2(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ratio, not absolute times: argon2's production cost (~0.1 s a check) either way."""
    monkeypatch.setattr(engine.people.users, "_hasher", PasswordHasher())
    with sessions.begin() as session:  # the operator's hash made with the production cost too
        operator = find_user(session, "operator")
        assert operator is not None
        set_password(session, runtime.clock, operator, "a-production-password")
    try_sign_in(client, "warm-up", "x", address="10.1.1.1")

    def seconds(username: str, address: str) -> float:
        token = get(client, "/login").csrf_token()
        body = {"username": username, "password": "guess-123", "csrf_token": token}
        start = time.perf_counter()
        answer = client.post("/login", data=body, environ_base={"REMOTE_ADDR": address})
        took = time.perf_counter() - start
        assert answer.status_code == 401
        return took

    # Taken in turns, and the quickest of each compared: what a request costs at least, not what a
    # busy machine added to one of them (CI runs other tests beside this one).
    known_times: list[float] = []
    unknown_times: list[float] = []
    for i in range(4):
        known_times.append(seconds("operator", f"10.2.0.{i}"))
        unknown_times.append(seconds(f"nobody{i}", f"10.3.0.{i}"))
    known, unknown = min(known_times), min(unknown_times)
    assert 0.5 < unknown / known < 2, (known_times, unknown_times)
