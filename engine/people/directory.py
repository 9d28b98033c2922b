"""Signing in against the utility's LDAP directory (ldap3): who the person is there, whether the
password is theirs, and which directory groups they belong to.

Two ways to find the person's entry, as directories differ:
- a user-DN template (`uid={username},ou=people,dc=example,dc=org`): bind as that DN directly;
- a search: bind as a service account (bind DN and password), search the user base with the user
  filter (`(uid={username})`), then bind as the entry found, with the password typed.
Groups are searched under the group base with the group filter (`{user_dn}`, `{username}`).

Whatever the person typed reaches the directory only escaped: as a filter value
(`escape_filter_chars`) in filters and as an attribute value (`escape_rdn`) in a DN, so a user name
cannot change a filter's meaning or name another entry. An empty password is refused before any bind:
LDAP takes a simple bind with a DN and no password as an anonymous bind, which succeeds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.errors import HotlineError

if TYPE_CHECKING:
    # ldap3 is imported where a directory is asked (a quarter of a second, for installations without one).
    from ldap3 import Connection, Server
    from ldap3.abstract.entry import Entry

log = logging.getLogger("hotline.directory")

# Longer names are no staff member's; the limit keeps what reaches the directory small.
LONGEST_USERNAME = 100


@dataclass(frozen=True)
class DirectorySettings:
    """Where the directory is and how people and their groups are found in it (docs/operations.md)."""

    url: str
    user_dn_template: str = ""
    bind_dn: str = ""
    bind_password: str = ""
    user_base: str = ""
    user_filter: str = "(uid={username})"
    # The attribute whose value becomes the local account's user name (as the directory spells it).
    username_attribute: str = "uid"
    group_base: str = ""
    group_filter: str = "(|(member={user_dn})(uniqueMember={user_dn})(memberUid={username}))"
    # A directory group (its cn or its whole DN, compared without regard to case) → the roles and
    # departments its members hold here.
    group_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timeout: float = 5.0

    def roles_of(self, groups: tuple[str, ...]) -> set[str]:
        wanted = {name.lower(): roles for name, roles in self.group_roles.items()}
        return {role for group in groups for role in wanted.get(group.lower(), ())}


@dataclass(frozen=True)
class DirectoryPerson:
    username: str
    dn: str
    display_name: str
    email: str
    phone: str
    # The DN and the cn of each group the person belongs to.
    groups: tuple[str, ...]


class DirectoryUnavailable(HotlineError):
    """The directory could not be asked (not reachable, too slow, the service account refused)."""

    code = "directory-unavailable"


_PERSON_ATTRIBUTES = ("displayName", "cn", "mail", "telephoneNumber")


def directory_person(settings: DirectorySettings, username: str, password: str) -> DirectoryPerson | None:
    """The person whose directory password this is; None for an unknown name or a wrong password.
    Raises DirectoryUnavailable when the directory cannot answer."""
    if not password or not username or len(username) > LONGEST_USERNAME or not username.isprintable():
        return None
    from ldap3.core.exceptions import LDAPException

    server = _server(settings)
    try:
        if settings.user_dn_template:
            return _by_template(settings, server, username, password)
        return _by_search(settings, server, username, password)
    except LDAPException as err:
        log.warning("directory %s cannot be asked: %s", settings.url, type(err).__name__)
        raise DirectoryUnavailable(f"the directory cannot be asked: {type(err).__name__}") from err


def probe_directory(settings: DirectorySettings) -> str | None:
    """Why the directory cannot be used now (None: it answers, and the service account binds)."""
    from ldap3.core.exceptions import LDAPException

    server = _server(settings)
    try:
        if settings.bind_dn:
            _service_connection(settings, server).unbind()
        else:
            connection = _connection(settings, server, None, None)
            _bind(connection)
            connection.unbind()
    except DirectoryUnavailable as err:
        return str(err)
    except LDAPException as err:
        return f"{settings.url} cannot be reached: {type(err).__name__}"
    return None


def _server(settings: DirectorySettings) -> Server:
    from ldap3 import NONE, Server

    return Server(settings.url, connect_timeout=settings.timeout, get_info=NONE)


def _connection(
    settings: DirectorySettings, server: Server, user: str | None, password: str | None
) -> Connection:
    from ldap3 import Connection

    # The receive timeout is whole seconds (ldap3 packs it into the socket option as an integer).
    timeout = math.ceil(settings.timeout)
    return Connection(server, user=user, password=password, receive_timeout=timeout, read_only=True)


def _bind(connection: Connection) -> bool:
    """Whether the bind was accepted; a directory that cannot be reached raises LDAPException, and
    the socket ldap3 opened for it is closed (ldap3 leaves it open)."""
    from ldap3.core.exceptions import LDAPException

    try:
        return bool(connection.bind())
    except LDAPException:
        if connection.socket is not None:
            connection.socket.close()
        raise


def _service_connection(settings: DirectorySettings, server: Server) -> Connection:
    service = _connection(settings, server, settings.bind_dn, settings.bind_password)
    if not _bind(service):
        reason = service.result.get("description")
        service.unbind()
        raise DirectoryUnavailable(f"the service account is refused: {reason}")
    return service


def _by_template(
    settings: DirectorySettings, server: Server, username: str, password: str
) -> DirectoryPerson | None:
    from ldap3 import BASE
    from ldap3.utils.dn import escape_rdn

    dn = settings.user_dn_template.format(username=escape_rdn(username))
    connection = _connection(settings, server, dn, password)
    try:
        if not _bind(connection):
            return None
        attributes = [*_PERSON_ATTRIBUTES, settings.username_attribute]
        connection.search(dn, "(objectClass=*)", BASE, attributes=attributes)
        if len(connection.entries) != 1:
            return None
        if not settings.bind_dn:  # the person reads their own groups
            return _person(settings, connection, connection.entries[0], username)
        service = _service_connection(settings, server)
        try:
            return _person(settings, service, connection.entries[0], username)
        finally:
            service.unbind()
    finally:
        connection.unbind()


def _by_search(
    settings: DirectorySettings, server: Server, username: str, password: str
) -> DirectoryPerson | None:
    service = (
        _service_connection(settings, server)
        if settings.bind_dn
        else _connection(settings, server, None, None)
    )
    try:
        if not settings.bind_dn and not _bind(service):  # anonymous search, where the directory allows it
            raise DirectoryUnavailable("the directory refuses anonymous searches: set a bind DN")
        from ldap3 import SUBTREE
        from ldap3.utils.conv import escape_filter_chars

        search = settings.user_filter.format(username=escape_filter_chars(username))
        service.search(
            settings.user_base, search, SUBTREE, attributes=[*_PERSON_ATTRIBUTES, settings.username_attribute]
        )
        entries = list(service.entries)
        if len(entries) != 1:  # none, or a filter so loose it names several people
            return None
        person = _connection(settings, server, entries[0].entry_dn, password)
        accepted = _bind(person)
        person.unbind()
        if not accepted:
            return None
        return _person(settings, service, entries[0], username)
    finally:
        service.unbind()


def _first(entry: Entry, attribute: str) -> str:
    values = entry.entry_attributes_as_dict.get(attribute) or []
    return str(values[0]) if values else ""


def _person(settings: DirectorySettings, reader: Connection, entry: Entry, typed: str) -> DirectoryPerson:
    from ldap3 import SUBTREE
    from ldap3.utils.conv import escape_filter_chars

    dn = str(entry.entry_dn)
    groups: tuple[str, ...] = ()
    if settings.group_base:
        search = settings.group_filter.format(
            user_dn=escape_filter_chars(dn),
            username=escape_filter_chars(_first(entry, settings.username_attribute) or typed),
        )
        reader.search(settings.group_base, search, SUBTREE, attributes=["cn"])
        groups = tuple(
            name for group in reader.entries for name in (str(group.entry_dn), _first(group, "cn")) if name
        )
    return DirectoryPerson(
        username=_first(entry, settings.username_attribute) or typed,
        dn=dn,
        display_name=_first(entry, "displayName") or _first(entry, "cn"),
        email=_first(entry, "mail"),
        phone=_first(entry, "telephoneNumber"),
        groups=groups,
    )
