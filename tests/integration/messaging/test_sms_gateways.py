"""SMS gateways against local HTTP servers that check requests the way the providers document them: a
generic gateway (JSON or form bodies, auth header, success field) and Tencent Cloud SMS SendSms 2021-01-11,
whose test server recomputes the TC3-HMAC-SHA256 signature from its own copy of the secret key."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from engine.messaging import (
    HttpSmsGateway,
    HttpSmsSettings,
    Outgoing,
    SendFailed,
    TencentSmsGateway,
    TencentSmsSettings,
)
from tests.messaging_servers import HttpGateway, running, tencent_answer

SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"


def _sms(**extra: Any) -> Outgoing:
    values: dict[str, Any] = {
        "channel": "sms",
        "recipient": "13800001234",
        "subject": "",
        "text": '【热线】明天 8:00 停水 "A" & B',
        "idempotency_key": "notice:7:42",
        "kind": "outage",
        "template_params": ("东区 3 栋", "2026-12-08 08:00", "2026-12-08 18:00", "OUT-1"),
    }
    values.update(extra)
    return Outgoing(**values)


def test_a_json_body_is_filled_escaped_and_sent_with_the_auth_header() -> None:
    with running(HttpGateway(lambda r: (200, {"result": {"status": "OK", "id": "abc"}}))) as server:
        gateway = HttpSmsGateway(
            HttpSmsSettings(
                url=server.url + "/sms",
                body_template='{"mobile": "{phone}", "msg": "{text}", "ref": "{id}", "fixed": 1}',
                auth_header="X-Api-Key: k1",
                success_field="result.status",
                success_value="OK",
                id_field="result.id",
            )
        )
        assert gateway.send(_sms()) == "abc"
    [got] = server.received
    assert got.headers["X-Api-Key"] == "k1"
    assert got.json() == {"mobile": "13800001234", "msg": _sms().text, "ref": "notice:7:42", "fixed": 1}


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_form_body_goes_as_a_form_or_a_query_string(method: str) -> None:
    with running(HttpGateway(lambda r: (200, {}))) as server:
        HttpSmsGateway(
            HttpSmsSettings(
                url=server.url + "/send?account=hotline",
                method=method,
                body_format="form",
                body_template="to={phone}&content={text}&uid={id}",
            )
        ).send(_sms())
    [got] = server.received
    assert got.method == method
    assert got.form()["content"] == _sms().text and got.form()["uid"] == "notice:7:42"


@pytest.mark.parametrize(
    ("status", "body", "transient"),
    [(429, {}, True), (502, {}, True), (401, {}, False), (200, {"result": {"status": "NOK"}}, False)],
)
def test_how_a_generic_gateway_refuses(status: int, body: Any, transient: bool) -> None:
    with running(HttpGateway(lambda r: (status, body))) as server:
        gateway = HttpSmsGateway(
            HttpSmsSettings(url=server.url, success_field="result.status", success_value="OK")
        )
        with pytest.raises(SendFailed) as failure:
            gateway.send(_sms())
    assert failure.value.transient is transient


def test_a_body_template_that_is_not_json_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="does not parse"):
        HttpSmsGateway(HttpSmsSettings(url="http://127.0.0.1:9", body_template='{"to": {phone}}'))


def _tencent(url: str, secret_key: str = SECRET_KEY) -> TencentSmsGateway:
    return TencentSmsGateway(
        TencentSmsSettings(
            secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            secret_key=secret_key,
            sdk_app_id="1400006666",
            sign_name="市供热供水热线",
            template_ids={"outage": "449739"},
            endpoint=url,
        )
    )


def test_tencent_sendsms_is_signed_as_documented_and_names_the_template_and_sign() -> None:
    with running(HttpGateway(tencent_answer(SECRET_KEY))) as server:
        serial = _tencent(server.url).send(_sms())
    assert serial == "sn-notice:7:42"
    [got] = server.received
    body = got.json()
    assert body == {
        "PhoneNumberSet": ["+8613800001234"],
        "SmsSdkAppId": "1400006666",
        "SignName": "市供热供水热线",
        "TemplateId": "449739",
        "TemplateParamSet": ["东区 3 栋", "2026-12-08 08:00", "2026-12-08 18:00", "OUT-1"],
        "SessionContext": "notice:7:42",
    }
    headers = {name.lower(): value for name, value in got.headers.items()}
    assert headers["x-tc-region"] == "ap-guangzhou" and headers["x-tc-action"] == "SendSms"


def test_tencent_refuses_a_wrong_signature_and_that_is_final() -> None:
    with running(HttpGateway(tencent_answer(SECRET_KEY))) as server, pytest.raises(SendFailed) as failure:
        _tencent(server.url, secret_key="not the key").send(_sms())
    assert "AuthFailure.SignatureFailure" in failure.value.reason and not failure.value.transient


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", True),
        ("FailedOperation.TemplateIncorrectOrUnapproved", False),
    ],
)
def test_tencent_rate_limits_are_retried_and_template_errors_are_not(code: str, transient: bool) -> None:
    def outcome(body: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            "Response": {
                "SendStatusSet": [
                    {"SerialNo": "", "PhoneNumber": body["PhoneNumberSet"][0], "Code": code, "Message": "no"}
                ],
                "RequestId": "r",
            }
        }

    with (
        running(HttpGateway(tencent_answer(SECRET_KEY, outcome))) as server,
        pytest.raises(SendFailed) as failure,
    ):
        _tencent(server.url).send(_sms())
    assert failure.value.transient is transient and code in failure.value.reason


def test_a_kind_without_an_approved_template_is_not_sent() -> None:
    with (
        running(HttpGateway(tencent_answer(SECRET_KEY))) as server,
        pytest.raises(SendFailed, match="no Tencent SMS template"),
    ):
        _tencent(server.url).send(_sms(kind="chase"))
    assert server.received == []


def test_a_gateway_that_drops_the_connection_or_answers_too_slowly_is_tried_again() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def drop_one() -> None:
            connection, _address = listener.accept()
            connection.recv(65536)
            connection.close()

        dropper = threading.Thread(target=drop_one, daemon=True)
        dropper.start()
        with pytest.raises(SendFailed) as dropped:
            HttpSmsGateway(HttpSmsSettings(url=f"http://127.0.0.1:{port}/sms", timeout=5)).send(_sms())
        dropper.join(5)
    assert dropped.value.transient and "connection" in dropped.value.reason
    with running(HttpGateway(lambda r: (200, {}), delay=2)) as slow, pytest.raises(SendFailed) as late:
        HttpSmsGateway(HttpSmsSettings(url=slow.url, timeout=0.5)).send(_sms())
    assert late.value.transient
