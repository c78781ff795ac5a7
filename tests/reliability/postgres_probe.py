"""Run only by test_postgres_fixture.py, in a child pytest: a test that needs the PostgreSQL fixture."""


def test_needs_postgres(postgres_url):
    assert postgres_url
