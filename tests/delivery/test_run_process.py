"""``seatkeeper run`` as cron runs it: a child process syncing a test Zoom account, mailing the report."""

from __future__ import annotations

from tests.delivery.conftest import LOCALHOST_ONLY, SMTP_PASSWORD, SMTP_USER
from tests.delivery.test_email import MONTH, parts
from tests.reliability.cli_kit import child_environment, start_child, zoom_environment
from tests.reliability.kit import TEST_CLIENT_SECRET, USERS, seeded_zoom

pytestmark = LOCALHOST_ONLY


def test_run_in_a_child_process_syncs_zoom_and_mails_the_report(database_url, tmp_path, starttls_server):
    config = tmp_path / "seatkeeper.toml"
    config.write_text(
        "[notify.email]\n"
        f'host = "127.0.0.1"\nport = {starttls_server.port}\n'
        f'username = "{SMTP_USER}"\npassword_env = "TEST_SMTP_PASSWORD"\n'
        'from = "seatkeeper@example.com"\nto = ["it@example.com"]\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    with seeded_zoom() as zoom:
        environment = child_environment(zoom_environment(zoom, database_url), tmp_path)
        environment.update(SEATKEEPER_CONFIG=str(config), TEST_SMTP_PASSWORD=SMTP_PASSWORD)
        child = start_child(["-m", "seatkeeper", "run", "--month", MONTH], environment)
        out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert f"zoom: {USERS} seats — {USERS} added" in out
    assert out.strip().endswith("email: sent to it@example.com")
    [message] = starttls_server.mailbox.messages
    assert message["Subject"].startswith("[seatkeeper] Licence report — ")
    text, [(name, html)] = parts(message)
    assert f"Seats: {USERS:,}" in text and name == f"seatkeeper-{MONTH}.html" and "<h1>Licence report" in html
    for secret in (SMTP_PASSWORD, TEST_CLIENT_SECRET):
        assert secret not in out + err + message.as_string()
