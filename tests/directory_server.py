"""A real OpenLDAP server for the directory sign-in tests: Debian's `slapd`, started as a foreground child
on a free loopback port with a slapd.conf and an mdb database of its own in a temporary folder, loaded
from an LDIF of people and groups with `slapadd` first. Tests that use it skip, saying why, where
/usr/sbin/slapd is absent or does not start (`apt-get install slapd ldap-utils`; .ci/run does).

    directory_server  (fixture)  → DirectoryServer: url, settings(**changes), add_to_group, stop
"""

from __future__ import annotations

import base64
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server

from engine.people import DirectorySettings

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SUFFIX = "dc=hotline,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "directory-admin-secret"
SERVICE_DN = f"cn=hotline-service,{SUFFIX}"
SERVICE_PASSWORD = "service-account-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

# uid → (display name, password); zhao is in the directory but in no group Hotline Flow knows.
PEOPLE_IN_DIRECTORY = {
    "wang_fang": ("王芳", "fang-directory-pw-1"),
    "liu_yang": ("刘洋", "yang-directory-pw-2"),
    "zhao_lei": ("赵磊", "lei-directory-pw-3"),
}
# group cn → members
GROUP_MEMBERS = {
    "hotline-operators": ["wang_fang"],
    "repair-team": ["liu_yang"],
    "everyone": ["wang_fang", "liu_yang", "zhao_lei"],
}
GROUP_ROLES = {
    "hotline-operators": ("operator",),
    f"cn=repair-team,{GROUPS}": ("repair", "department_head"),
    "hotline-supervisors": ("supervisor",),
}

_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin_dn}"
rootpw {admin_password}
directory {folder}/data
access to attrs=userPassword by self read by anonymous auth by * none
access to * by * read
"""


def _ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: hotline\no: Hotline",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: hotline-service\nuserPassword: {SERVICE_PASSWORD}",
    ]
    for uid, (name, password) in PEOPLE_IN_DIRECTORY.items():
        entries.append(
            f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
            f"displayName:: {_base64(name)}\nmail: {uid}@hotline.test\ntelephoneNumber: 0471-5550{len(uid)}\n"
            f"userPassword: {password}"
        )
    for group, members in {**GROUP_MEMBERS, "hotline-supervisors": []}.items():
        # groupOfNames needs a member: the administrator stays in each, so every person can leave.
        member_lines = "".join(
            f"member: {dn}\n" for dn in [ADMIN_DN, *(f"uid={uid},{PEOPLE}" for uid in members)]
        )
        entries.append(
            f"dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n{member_lines}".rstrip()
        )
    return "\n\n".join(entries) + "\n"


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DirectoryServer:
    url: str
    process: subprocess.Popen[bytes]

    def settings(self, **changes: object) -> DirectorySettings:
        """Search with the service account, groups under ou=groups; `changes` replace any of these."""
        given = DirectorySettings(
            url=self.url,
            bind_dn=SERVICE_DN,
            bind_password=SERVICE_PASSWORD,
            user_base=PEOPLE,
            group_base=GROUPS,
            group_roles=GROUP_ROLES,
            timeout=3.0,
        )
        return replace(given, **changes)  # type: ignore[arg-type]

    def _admin(self) -> Connection:
        connection = Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD)
        assert connection.bind(), connection.result
        return connection

    def add_to_group(self, uid: str, group: str) -> None:
        connection = self._admin()
        assert connection.modify(f"cn={group},{GROUPS}", {"member": [(MODIFY_ADD, [f"uid={uid},{PEOPLE}"])]})
        connection.unbind()

    def remove_from_group(self, uid: str, group: str) -> None:
        connection = self._admin()
        assert connection.modify(
            f"cn={group},{GROUPS}", {"member": [(MODIFY_DELETE, [f"uid={uid},{PEOPLE}"])]}
        ), connection.result
        connection.unbind()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> bool:
    ends = time.monotonic() + 15
    while time.monotonic() < ends and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture
def directory_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DirectoryServer]:
    if not SLAPD.is_file() or not SLAPADD.is_file():
        pytest.skip("OpenLDAP's slapd is not installed (apt-get install slapd ldap-utils)")
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "data").mkdir()
    conf = folder / "slapd.conf"
    conf.write_text(
        _CONF.format(folder=folder, suffix=SUFFIX, admin_dn=ADMIN_DN, admin_password=ADMIN_PASSWORD)
    )
    (folder / "people.ldif").write_text(_ldif(), encoding="utf-8")
    loaded = subprocess.run(
        [str(SLAPADD), "-f", str(conf), "-l", str(folder / "people.ldif")], capture_output=True, text=True
    )
    if loaded.returncode != 0:
        pytest.skip(f"slapadd could not load the test directory: {loaded.stderr.strip()[-500:]}")
    port = _free_port()
    log = folder / "slapd.log"
    with log.open("wb") as output:  # -d 0: in the foreground, a child of the test, errors only
        process = subprocess.Popen(
            [str(SLAPD), "-d", "0", "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = DirectoryServer(f"ldap://127.0.0.1:{port}", process)
    if not _wait_until_listening(port, process):
        server.stop()
        pytest.skip(f"slapd did not start on a loopback port: {log.read_text(errors='replace')[-500:]}")
    try:
        yield server
    finally:
        server.stop()
