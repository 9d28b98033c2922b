"""The repair worker's pages on a 360-pixel-wide phone (R3, R4): readable without sideways scrolling, one
tap records the arrival, the customer signs the report on the screen."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Attachment, ProcessInstance
from engine.runtime import Runtime
from tests.browser.support import PHONE, Page, complete, expect, fill_form, second_browser, shot, sign_in
from tests.browser.test_small_things_browser import BUTTON_LOOK
from tests.web.test_field import dispatched_repair


def test_the_field_page_on_a_phone_r3(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """R3: the worker sees the job, the address and the time left, and records the arrival with one tap."""
    number, _case_id = dispatched_repair(sessions, runtime)
    with second_browser(page, server, PHONE, phone=True) as phone:
        sign_in(phone, "worker")
        phone.click("#nav-field")
        job = phone.locator(f"li.job[data-case='{number}']")
        expect(job).to_contain_text("金明区5号楼2单元602")
        expect(job).to_contain_text("剩余 30 分钟")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, "field-01-phone-jobs")
        job.locator("button").click()
        expect(phone.locator(".flash.success")).to_contain_text(number)
        expect(phone.locator(f"li.job[data-case='{number}'][data-element='onsite_report']")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, "field-02-phone-after-arrival")


def test_the_customer_signs_the_report_on_a_phone_r4(
    page: Page, server: str, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """R4: on a 360-pixel phone the worker fills the on-site report, the customer draws a signature with
    the pointer, and the signature is stored as a PNG attachment of the case, shown on the case page."""
    number, case_id = dispatched_repair(sessions, runtime)
    with second_browser(page, server, PHONE, phone=True) as phone:
        sign_in(phone, "worker")
        phone.goto("/field")
        phone.locator(f"li.job[data-case='{number}'] button").click()
        phone.locator(f"li.job[data-case='{number}'][data-element='onsite_report'] a.button").click()
        expect(phone.locator("#task-form")).to_be_visible()
        fill_form(
            phone,
            {
                "diagnosis": "管道爆裂",
                "work_done": "更换一段管道",
                "steps_explained": True,
                "customer_signed": True,
                "signer_name": "马强",
                "outcome": "resolved",
            },
        )
        pad = phone.locator("#pad-customer_signature")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
        phone.mouse.move(box["x"] + 20, box["y"] + 30)
        phone.mouse.down()
        for step in range(1, 12):
            phone.mouse.move(box["x"] + 20 + step * 20, box["y"] + 30 + (step % 3) * 25)
        phone.mouse.up()
        expect(phone.locator("#f-customer_signature")).to_have_value(re.compile(r"^data:image/png;base64,"))
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, "field-03-phone-signature")
        # the pad's clear button looks like the form's other buttons, not the browser's grey control
        assert phone.evaluate(BUTTON_LOOK, "clear-customer_signature") == [
            "rgb(255, 255, 255)",
            "6px",
            "solid",
            "14px",
        ]
        expect(phone.locator("#claim-state")).to_have_text(
            "由您认领。"
        )  # the arrival made the job the worker's
        complete(phone, number, returns_to="/field")  # back to the jobs, not the desktop tasklist
        expect(phone.locator("#no-jobs")).to_be_visible()
        shot(phone, "field-04-phone-back-at-the-jobs")
        with sessions() as session:
            (attachment,) = session.scalars(select(Attachment).where(Attachment.instance_id == case_id)).all()
            signature_id = session.get(ProcessInstance, case_id).data["customer_signature"]  # type: ignore[union-attr]
        assert (attachment.id, attachment.file_name, attachment.content_type) == (
            signature_id,
            "customer_signature.png",
            "image/png",
        )
        assert attachment.size > 500  # a real drawing, not an empty canvas
        phone.goto(f"/cases/{number}")
        thumb = phone.locator("#attachments img.thumb")
        expect(thumb).to_have_attribute("src", f"/attachments/{attachment.id}")
        thumb.scroll_into_view_if_needed()  # the thumbnail loads lazily
        phone.wait_for_function(
            "() => { const img = document.querySelector('#attachments img.thumb');"
            " return img.complete && img.naturalWidth > 0; }"
        )
        shot(phone, "field-05-phone-case-with-signature")
