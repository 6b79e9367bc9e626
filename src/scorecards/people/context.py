"""What every template knows about the signed-in user's access."""

from typing import Any

from django.http import HttpRequest

from scorecards.people.access import access as access_for


def access(request: HttpRequest) -> dict[str, Any]:
    return {"access": access_for(request)}
