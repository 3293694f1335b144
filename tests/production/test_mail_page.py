"""The development mail page of `cancelflow dev`, in a real browser: the sink's messages
newest first, each as HTML and as text, with hostile email content kept inert."""

from __future__ import annotations

from contextlib import AsyncExitStack
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from playwright.async_api import Browser, expect

from tests.eventually import eventually
from tests.helpers.servers import free_port
from workers.mail_sink import MailSink, kind_of
from workers.mail_viewer import serve_mail_page

HOSTILE = "<script>window.pwned=1</script><img src=x onerror='window.pwned=1'>"


def email_message(to: str, subject: str, message_id: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "cancellations@example.com"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def test_kind_comes_from_the_message_id() -> None:
    assert kind_of("<case-7.r1.reminder-2@example.com>") == "reminder-2"
    assert kind_of("<ops-digest.2026-11-25@example.com>") == "ops-digest"


async def test_mail_page_lists_and_shows_messages(tmp_path: Path, browser: Browser) -> None:
    folder = tmp_path / "mail"
    (folder).mkdir()
    (folder / "00007-earlier-run.eml").write_bytes(b"Subject: earlier\r\n\r\nfrom a previous run")
    with MailSink(folder, port=free_port()) as sink:
        async with AsyncExitStack() as stack:
            url = await serve_mail_page(stack, folder, "127.0.0.1", free_port())
            first = email_message(
                "cancel@nordicgym.example",
                "Cancellation request",
                "<c1.r1.request@example.com>",
                "Please cancel the membership.",
                "<p>Please <b>cancel</b> the membership.</p>",
            )
            second = email_message(
                "member-88@example.org",
                f"Your cancellation {HOSTILE}",
                "<c1.r1.outcome@example.com>",
                f"Done. {HOSTILE}",
                f"<h1 id='greeting'>Done</h1>{HOSTILE}",
            )
            for message in (first, second):
                await aiosmtplib.send(message, hostname=sink.host, port=sink.port)
            await eventually(lambda: len(sink.messages) == 2, what="both messages filed")
            # Numbered after what the folder already held, without re-listing it per email.
            assert sorted(p.name[:5] for p in folder.glob("*.eml")) == ["00007", "00008", "00009"]

            context = await browser.new_context()
            page = await context.new_page()
            try:
                await page.goto(url)
                rows = page.locator("tbody tr")
                await expect(rows).to_have_count(3)
                newest = rows.nth(0)
                await expect(newest).to_contain_text("member-88@example.org")
                await expect(newest).to_contain_text(f"Your cancellation {HOSTILE}")
                await expect(newest.locator(".kind")).to_have_text("outcome")
                await expect(rows.nth(1).locator(".kind")).to_have_text("request")
                await expect(rows.nth(1)).to_contain_text("Cancellation request")

                await newest.get_by_role("link").click()
                await expect(page.locator("h1")).to_have_text(f"Your cancellation {HOSTILE}")
                await expect(page.locator("#text")).to_contain_text(f"Done. {HOSTILE}")
                frame = page.frame_locator("iframe")
                await expect(frame.locator("#greeting")).to_have_text("Done")
                # Neither the page nor the email's own HTML ran the email's script.
                assert await page.evaluate("window.pwned") is None
                email_frame = page.frames[1]
                assert await email_frame.evaluate("typeof window.pwned") == "undefined"

                missing = await page.goto(f"{url}/messages/..%2F..%2Fetc%2Fpasswd")
                assert missing is not None and missing.status == 404
            finally:
                await context.close()
