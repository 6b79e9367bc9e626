"""The API answers in JSON even where Django answers first.

A request Django cannot accept (400: a Host header it does not serve), a path
under /api/ that names no route (404) and a method a route does not take (405)
are answered by Django and Ninja themselves, as an HTML page or an empty body.
A client of a JSON API should get the same ``{"errors": [...]}`` as everywhere
else, with ``Allow`` kept on a 405. This middleware comes first, so that it
sees the answers the others gave too.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGES = {
    400: "the request was refused as malformed; check its Host header and URL",
    404: "no such API route; see /api/v1/docs",
    405: "this route does not take {method}; it takes {allowed}",
}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        if response.status_code not in MESSAGES:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response

        allowed = response.get("Allow", "")
        message = MESSAGES[response.status_code].format(
            method=request.method, allowed=allowed
        )
        answer = JsonResponse(
            {"errors": [{"message": message}]}, status=response.status_code
        )
        if allowed:
            answer["Allow"] = allowed
        return answer
