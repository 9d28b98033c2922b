"""HOTLINE_LDAP_* read from the environment: none without a URL, the mapping of groups to roles as JSON,
and each setting that cannot be used named before anything starts."""

from __future__ import annotations

import pytest

from hotline.directory_settings import DirectorySettingsInvalid, directory_from_env

SEARCH = {
    "HOTLINE_LDAP_URL": "ldaps://ldap.example.org",
    "HOTLINE_LDAP_USER_BASE": "ou=people,dc=example,dc=org",
}


def test_no_url_means_local_accounts_only() -> None:
    assert directory_from_env({}) is None
    assert directory_from_env({"HOTLINE_LDAP_USER_BASE": "ou=people"}) is None


def test_the_group_mapping_takes_one_role_or_a_list_and_matches_cn_or_dn_without_case() -> None:
    roles = '{"Hotline-Operators": "operator", "cn=repair,ou=groups,dc=example,dc=org": ["repair", "department_head"]}'
    settings = directory_from_env(
        {**SEARCH, "HOTLINE_LDAP_GROUP_ROLES": roles, "HOTLINE_LDAP_TIMEOUT": "2.5"}
    )
    assert settings is not None and settings.timeout == 2.5
    assert settings.user_filter == "(uid={username})"
    assert settings.roles_of(("hotline-operators",)) == {"operator"}
    assert settings.roles_of(("CN=Repair,OU=groups,DC=example,DC=org", "repair")) == {
        "repair",
        "department_head",
    }
    assert settings.roles_of(("everyone",)) == set()


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"HOTLINE_LDAP_URL": "http://ldap.example.org"}, "HOTLINE_LDAP_URL"),
        ({"HOTLINE_LDAP_URL": "ldap://ldap"}, "HOTLINE_LDAP_USER_DN or HOTLINE_LDAP_USER_BASE"),
        ({**SEARCH, "HOTLINE_LDAP_USER_FILTER": "(uid=*)"}, "HOTLINE_LDAP_USER_FILTER"),
        ({"HOTLINE_LDAP_URL": "ldap://ldap", "HOTLINE_LDAP_USER_DN": "uid=x,dc=org"}, "HOTLINE_LDAP_USER_DN"),
        ({**SEARCH, "HOTLINE_LDAP_GROUP_ROLES": "ops=operator"}, "no JSON object"),
        ({**SEARCH, "HOTLINE_LDAP_GROUP_ROLES": '["operator"]'}, "must be a JSON object"),
        ({**SEARCH, "HOTLINE_LDAP_GROUP_ROLES": '{"ops": 3}'}, "'ops' must map to a role"),
        ({**SEARCH, "HOTLINE_LDAP_TIMEOUT": "soon"}, "HOTLINE_LDAP_TIMEOUT"),
        ({**SEARCH, "HOTLINE_LDAP_TIMEOUT": "0"}, "between 0 and 60"),
    ],
)
def test_a_setting_that_cannot_be_used_is_named(given: dict[str, str], named: str) -> None:
    with pytest.raises(DirectorySettingsInvalid, match=named):
        directory_from_env(given)
