"""The LDAP directory's settings from the environment (HOTLINE_LDAP_*); none without HOTLINE_LDAP_URL.

HOTLINE_LDAP_GROUP_ROLES maps directory groups to roles and departments as a JSON object, e.g.
`{"hotline-operators": ["operator"], "cn=repair,ou=groups,dc=example,dc=org": ["repair", "department_head"]}`:
a key is a group's cn or its whole DN, a value one role or department code or a list of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from engine.people import DirectorySettings

DEFAULTS = DirectorySettings(url="")


class DirectorySettingsInvalid(ValueError):
    """A HOTLINE_LDAP_* setting that cannot be used; the message names it."""


def directory_from_env(environ: Mapping[str, str]) -> DirectorySettings | None:
    url = environ.get("HOTLINE_LDAP_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("ldap://", "ldaps://")):
        raise DirectorySettingsInvalid(f"HOTLINE_LDAP_URL must begin with ldap:// or ldaps://, not {url!r}")
    settings = DirectorySettings(
        url=url,
        user_dn_template=environ.get("HOTLINE_LDAP_USER_DN", ""),
        bind_dn=environ.get("HOTLINE_LDAP_BIND_DN", ""),
        bind_password=environ.get("HOTLINE_LDAP_BIND_PASSWORD", ""),
        user_base=environ.get("HOTLINE_LDAP_USER_BASE", ""),
        user_filter=environ.get("HOTLINE_LDAP_USER_FILTER") or DEFAULTS.user_filter,
        username_attribute=environ.get("HOTLINE_LDAP_USERNAME_ATTRIBUTE") or DEFAULTS.username_attribute,
        group_base=environ.get("HOTLINE_LDAP_GROUP_BASE", ""),
        group_filter=environ.get("HOTLINE_LDAP_GROUP_FILTER") or DEFAULTS.group_filter,
        group_roles=_group_roles(environ.get("HOTLINE_LDAP_GROUP_ROLES", "")),
        timeout=_timeout(environ.get("HOTLINE_LDAP_TIMEOUT", "")),
    )
    if not settings.user_dn_template and not settings.user_base:
        raise DirectorySettingsInvalid("set HOTLINE_LDAP_USER_DN or HOTLINE_LDAP_USER_BASE to find people")
    if settings.user_dn_template and "{username}" not in settings.user_dn_template:
        raise DirectorySettingsInvalid("HOTLINE_LDAP_USER_DN must contain {username}")
    if not settings.user_dn_template and "{username}" not in settings.user_filter:
        raise DirectorySettingsInvalid("HOTLINE_LDAP_USER_FILTER must contain {username}")
    return settings


def _group_roles(text: str) -> dict[str, tuple[str, ...]]:
    if not text.strip():
        return {}
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as err:
        raise DirectorySettingsInvalid(f"HOTLINE_LDAP_GROUP_ROLES is no JSON object: {err}") from err
    if not isinstance(mapping, dict):
        raise DirectorySettingsInvalid("HOTLINE_LDAP_GROUP_ROLES must be a JSON object {group: roles}")
    roles: dict[str, tuple[str, ...]] = {}
    for group, given in mapping.items():
        codes = [given] if isinstance(given, str) else given
        if not isinstance(codes, list) or not all(isinstance(code, str) and code for code in codes):
            raise DirectorySettingsInvalid(
                f"HOTLINE_LDAP_GROUP_ROLES: {group!r} must map to a role or a list of roles"
            )
        roles[group] = tuple(codes)
    return roles


def _timeout(text: str) -> float:
    try:
        seconds = float(text) if text.strip() else DEFAULTS.timeout
    except ValueError as err:
        raise DirectorySettingsInvalid(f"HOTLINE_LDAP_TIMEOUT must be seconds, not {text!r}") from err
    if not 0 < seconds <= 60:
        raise DirectorySettingsInvalid("HOTLINE_LDAP_TIMEOUT must be between 0 and 60 seconds")
    return seconds
