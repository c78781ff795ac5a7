"""The synthetic company on contracts (tests/reports/company.py), mailed through the real SMTP server: the mail
carries the report's headline, savings and notice alert, and the attached report is the one ``report`` writes."""

from __future__ import annotations

from seatkeeper.reports.build import build_report
from seatkeeper.reports.delivery import compose, send_email
from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.notify_settings import EmailSettings
from seatkeeper.reports.period import parse_month
from tests.delivery.conftest import LOCALHOST_ONLY
from tests.reports import company

pytestmark = LOCALHOST_ONLY
MARCH = parse_month(company.REPORT_MONTH)


def test_the_contracts_report_arrives_with_its_figures_alerts_and_attachment(
    engine, tmp_path, smtp_server, built_databases
):
    import io

    company.built(built_databases, engine, tmp_path)
    settings = company.contracts_settings(tmp_path)
    report = build_report(engine, MARCH, settings, now=company.GENERATED_AT)
    out = io.StringIO()
    write_report(engine, ReportFormat.html, out, MARCH, settings, now=company.GENERATED_AT)
    html = out.getvalue()
    mail = EmailSettings("127.0.0.1", smtp_server.port, "none", "seatkeeper@example.com", ("finance@example.com",))
    send_email(mail, compose(report, html, subject_prefix="[seatkeeper] "))

    [message] = smtp_server.mailbox.messages
    assert message["Subject"] == "[seatkeeper] Licence report — March 2026 — 2 alerts"
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Monthly cost: 2,231.45 USD" in text and "Annual cost: 26,777.40 USD" in text
    assert "Reclaimable: 669.06 USD a month (39 seats)" in text
    assert "Notice deadline: Figma (Full seat): give notice by 2026-04-17 (17 days)" in text
    assert "Leavers: 1 person who left still holds 3 paid seats" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "seatkeeper-2026-03.html"
    received = attachment.get_content()
    received = received.decode() if isinstance(received, bytes) else received
    assert received.replace("\r\n", "\n") == html.replace("\r\n", "\n")
    assert "Renewals in the next 90 days" in received and "2,231.45 USD" in received
