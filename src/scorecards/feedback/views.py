"""The response pages a contact reaches from the link in their email.

No login: the link itself is the key. The page works on a phone, names the
account, and can be answered once per link; answering again before the
campaign closes replaces the answer. A link that is unknown, tampered with or
closed gets a page saying so, not an error.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from scorecards.feedback.campaigns import (
    answer,
    invitation_for,
    is_open,
    unsubscribe,
)
from scorecards.feedback.forms import AnswerError, questions_of
from scorecards.feedback.models import FormKind, Invitation

SCALES = {
    FormKind.NPS: range(0, 11),
    FormKind.STAKEHOLDER: range(1, 6),
    FormKind.QBR: range(1, 6),
}


def _gone(request: HttpRequest, invitation: Invitation | None) -> HttpResponse:
    if invitation is None:
        context = {
            "title": "This link does not work",
            "message": "It may have been copied only in part. Please use the "
            "link from your email exactly as it is.",
        }
        return render(request, "feedback/closed.html", context, status=404)
    context = {
        "title": "This survey has closed",
        "message": "Thank you all the same. The survey for "
        f"{_account(invitation)} is no longer taking answers.",
    }
    return render(request, "feedback/closed.html", context, status=410)


def _account(invitation: Invitation) -> str:
    return invitation.account.name or invitation.account.key


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    invitation = invitation_for(token)
    if invitation is None or not is_open(invitation, now):
        return _gone(request, invitation)

    version = invitation.campaign.version
    kind = FormKind(version.form.kind)
    previous = getattr(invitation, "answer", None)
    values = dict(previous.values) if previous else {}
    comment = previous.comment if previous else ""
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {q.key: request.POST.get(q.key) for q in questions_of(version)}
        comment = request.POST.get("comment", "")
        try:
            answer(invitation=invitation, values=values, comment=comment, now=now)
        except AnswerError as error:
            problems = error.problems
        else:
            return redirect("feedback:thanks", token=token)

    context = {
        "invitation": invitation,
        "account": _account(invitation),
        "title": version.form.title,
        "questions": [
            {
                "key": q.key,
                "text": q.text,
                "chosen": str(values.get(q.key, "")),
                "problem": problems.get(q.key),
            }
            for q in questions_of(version)
        ],
        "scale": [str(n) for n in SCALES[kind]],
        "nps": kind == FormKind.NPS,
        "comment": comment,
        "answered_at": previous.answered_at if previous else None,
        "problems": problems,
        "token": token,
    }
    return render(
        request, "feedback/respond.html", context, status=400 if problems else 200
    )


def thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for(token)
    if invitation is None:
        return _gone(request, None)
    context = {
        "account": _account(invitation),
        "token": token,
        "closes_at": invitation.campaign.closes_at,
    }
    return render(request, "feedback/thanks.html", context)


@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for(token)
    if invitation is None:
        return _gone(request, None)
    done = request.method == "POST"
    if done:
        unsubscribe(invitation=invitation, now=timezone.now())
    context = {"account": _account(invitation), "done": done, "token": token}
    return render(request, "feedback/unsubscribe.html", context)
