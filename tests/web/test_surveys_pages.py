"""The survey and campaign pages: for admins, with every mistake named."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.feedback.models import Campaign, SurveyForm
from scorecards.people.service import add_person
from scorecards.web.surveys import parse_questions

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(django_user_model) -> Client:
    client = Client()
    client.force_login(add_person("admin-01", role="admin"))
    return client


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("overall", "line 1: write key | question | weight"),
        ("a b | Question", "line 1: a key is letters, digits, - or _"),
        ("q | One\nq | Two", "line 2: the key 'q' is used twice"),
        ("q | One | heavy", "line 1: the weight is not a number"),
        ("", "write at least one question"),
    ],
)
def test_bad_question_lines_are_named(text, message):
    with pytest.raises(ValidationError) as refused:
        parse_questions(text, "stakeholder")

    assert message in str(refused.value)


def test_a_survey_saved_twice_with_new_questions_makes_a_version(admin):
    form = {
        "key": "pulse",
        "kind": "stakeholder",
        "title": "Pulse",
        "questions": "overall | Overall? | 2",
    }
    admin.post("/surveys/", form)
    admin.post(
        "/surveys/", {**form, "questions": "overall | Overall? | 2\nsupport | Support?"}
    )

    survey = SurveyForm.objects.get()
    assert survey.current.number == 2
    assert [q["key"] for q in survey.current.questions] == ["overall", "support"]


def test_an_nps_survey_with_two_questions_is_refused_on_the_page(admin):
    page = admin.post(
        "/surveys/",
        {"key": "nps", "kind": "nps", "title": "NPS", "questions": "a | One\nb | Two"},
    )

    assert page.status_code == 200
    assert "an NPS survey asks one question" in page.content.decode()
    assert not SurveyForm.objects.exists()


def test_a_campaign_closing_in_the_past_is_refused_on_the_page(admin):
    admin.post(
        "/surveys/",
        {
            "key": "pulse",
            "kind": "stakeholder",
            "title": "Pulse",
            "questions": "overall | Overall?",
        },
    )

    page = admin.post(
        "/campaigns/",
        {
            "name": "x",
            "survey": "pulse",
            "remind_after_days": 5,
            "max_reminders": 2,
            "closes_on": "2020-01-01",
        },
    )

    assert "closes_at: must be in the future" in page.content.decode()
    assert not Campaign.objects.exists()


def test_only_admins_see_the_survey_pages(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("csm-01"))

    assert client.get("/surveys/").status_code == 403
    assert client.get("/campaigns/").status_code == 403


def test_a_campaign_can_ask_one_csms_accounts_or_a_list(admin):

    now = timezone.now()
    upsert_accounts(
        [
            {"key": "acme", "csm": "csm-01"},
            {"key": "globex", "csm": "csm-02"},
            {"key": "initech", "csm": "csm-02"},
        ],
        now=now,
    )
    upsert_contacts(
        [
            {"account": key, "key": "ceo", "email": f"ceo@{key}.example"}
            for key in ("acme", "globex", "initech")
        ],
        now=now,
    )
    admin.post(
        "/surveys/",
        {
            "key": "pulse",
            "kind": "stakeholder",
            "title": "Pulse",
            "questions": "overall | Overall?",
        },
    )
    form = {
        "name": "x",
        "survey": "pulse",
        "remind_after_days": 5,
        "max_reminders": 2,
        "closes_on": "2099-01-01",
    }

    admin.post("/campaigns/", {**form, "csms": ["csm-02"]})
    admin.post("/campaigns/", {**form, "accounts": "acme, initech"})

    first, second = Campaign.objects.order_by("id")
    assert sorted(first.invitations.values_list("account__key", flat=True)) == [
        "globex",
        "initech",
    ]
    assert sorted(second.invitations.values_list("account__key", flat=True)) == [
        "acme",
        "initech",
    ]
