"""What a password must be before it is accepted from a person (an account added, a reset, a change).

Length alone lets "Password123" through, so the strength is judged by zxcvbn (Dropbox's estimator,
maintained as the `zxcvbn` package): it knows common passwords, names, words, dates, keyboard runs
and substitutions, and is told the account's own user name and display name so a password built from
them counts as weak. It also must not contain the user name. The rules answer with codes, which the
web pages and the command line say in their own words.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 10
# argon2 takes any length; this bounds the work one sign-in attempt can ask for.
MAX_LENGTH = 200
# zxcvbn's score 3: "safely unguessable", about 10^8 guesses or more.
MIN_SCORE = 3
# zxcvbn judges at most 72 characters (its cost grows with length, and it refuses longer input); a
# longer password is judged by its first 72, which a long one only makes stronger.
JUDGED_LENGTH = 72
# Words anyone would try first against this system's accounts.
SITE_WORDS = ("hotline", "heating", "water")


def password_problem(password: str, username: str, display_name: str = "") -> str | None:
    """Why this password is refused for this account (a code), or None when it is acceptable.

    Codes: "too-short", "too-long", "contains-username", "too-common"."""
    if len(password) < MIN_LENGTH:
        return "too-short"
    if len(password) > MAX_LENGTH:
        return "too-long"
    if username and username.casefold() in password.casefold():
        return "contains-username"
    inputs = [word for word in (username, display_name, *SITE_WORDS) if word]
    if zxcvbn(password[:JUDGED_LENGTH], user_inputs=inputs)["score"] < MIN_SCORE:
        return "too-common"
    return None
