"""Attachments: a photo from site is stored outside the database by its checksum, listed on the case and
in its history, and read back unchanged; wrong kinds, empty and oversized files are refused."""

from __future__ import annotations

import hashlib
import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.attachments import MAX_BYTES
from engine.db.models import Attachment
from engine.runtime import Runtime
from tests.web.support import get, login, record_case, task_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def upload(client: FlaskClient, task_id: int, data: bytes, name: str) -> object:
    token = get(client, f"/tasks/{task_id}").csrf_token()
    return client.post(
        f"/tasks/{task_id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_photo_is_stored_by_checksum_and_read_back(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    response = upload(client, task_id, PNG, "现场照片.png")
    assert "文件已附加到工单" in response.get_data(as_text=True)
    with sessions() as session:
        (attachment,) = session.scalars(select(Attachment)).all()
    digest = hashlib.sha256(PNG).hexdigest()
    assert (attachment.file_name, attachment.content_type, attachment.size, attachment.sha256) == (
        "现场照片.png",
        "image/png",
        len(PNG),
        digest,
    )
    assert runtime.attachment_folder is not None
    stored = runtime.attachment_folder / digest[:2] / digest
    assert stored.read_bytes() == PNG
    case_page = get(client, f"/cases/{number}")
    assert case_page.doc.xpath("//ul[@id='attachments']//a/text()") == ["现场照片.png"]
    assert case_page.doc.xpath("//ol[@id='history']/li[contains(@class, 'kind-attachment_added')]")
    download = client.get(f"/attachments/{attachment.id}")
    assert (download.status_code, download.data, download.mimetype) == (200, PNG, "image/png")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_wrong_empty_and_oversized_files_are_refused(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    for data, name, message in (
        (b"<html>not a photo</html>", "photo.jpg", "只能上传照片"),
        (b"", "empty.png", "请选择要上传的文件"),
        (PNG + b"\x00" * MAX_BYTES, "huge.png", "文件超过 5 MB"),
    ):
        assert message in upload(client, task_id, data, name).get_data(as_text=True)
    with sessions() as session:
        assert session.scalars(select(Attachment)).all() == []


def test_only_the_tasks_group_may_attach(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "billing_handler")
    token = get(client, "/tasks").csrf_token()
    response = client.post(
        f"/tasks/{task_id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(PNG), "x.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
