"""`scorecards source`: adding, configuring, listing and revoking data sources."""

import pytest

from scorecards.sources.models import Source
from scorecards.sources.registry import key_hash

pytestmark = pytest.mark.django_db

RULES = """\
rules:
  - metric: weekly_active_users
    aggregate: distinct_users
    days: 7
"""


def test_adding_a_source_prints_its_key_once(scorecards, tmp_path):
    settings = tmp_path / "product.yaml"
    settings.write_text(RULES)

    run = scorecards("source", "add", "segment", "product", "--settings", str(settings))

    assert run.status == 0, run.stderr
    key = run.stdout.strip()
    source = Source.objects.get(name="product")
    assert source.key_hash == key_hash(key)
    assert key not in str(source.settings)
    assert source.settings["rules"][0]["metric"] == "weekly_active_users"
    assert "write key" in run.stderr
    listing = scorecards("source", "list")
    assert "product" in listing.stdout
    assert key not in listing.stdout


def test_bad_settings_are_named_by_path_and_nothing_is_added(scorecards, tmp_path):
    settings = tmp_path / "product.yaml"
    settings.write_text(
        "rules:\n  - metric: seats\n    aggregate: sum\n  - metric: x\n"
        "    aggregate: median\n"
    )

    run = scorecards("source", "add", "segment", "product", "--settings", str(settings))

    assert run.status == 2
    assert f"{settings}: rules.0: a sum needs the property to add up" in run.stderr
    assert f"{settings}: rules.1.aggregate:" in run.stderr
    assert not Source.objects.exists()


def test_a_signing_secret_is_read_from_a_file_and_never_shown(scorecards, tmp_path):
    secret = tmp_path / "typeform-secret"
    secret.write_text("s3cret-from-typeform\n")

    scorecards("source", "add", "typeform", "nps-form",
               "--signing-secret-file", str(secret))  # fmt: skip

    assert Source.objects.get().signing_secret == "s3cret-from-typeform"
    listing = scorecards("source", "list")
    assert "s3cret" not in listing.stdout
    assert "yes" in listing.stdout


def test_a_source_is_reconfigured_and_revoked(scorecards, tmp_path):
    scorecards("source", "add", "delighted", "nps")
    settings = tmp_path / "nps.yaml"
    settings.write_text("account_property: company_key\n")

    configured = scorecards("source", "configure", "nps", "--settings", str(settings))
    revoked = scorecards("source", "revoke", "nps")

    assert configured.status == revoked.status == 0
    source = Source.objects.get()
    assert source.settings["account_property"] == "company_key"
    assert source.revoked_at is not None


def test_a_second_source_of_the_same_name_is_refused(scorecards):
    scorecards("source", "add", "delighted", "nps")

    run = scorecards("source", "add", "typeform", "nps")

    assert run.status == 1
    assert "a source named 'nps' already exists" in run.stderr
