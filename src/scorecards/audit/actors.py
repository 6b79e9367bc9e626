"""Who is acting: set once at the edge, read wherever a change is recorded.

The web middleware sets the signed-in user, the API's token check the token,
the command line itself for its commands. Code with no one set acts as the
system: the scheduler, expiries, retention. No Django import, so the command
line can say who acts before Django is set up.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ActorKind(StrEnum):
    USER = "user"
    TOKEN = "token"
    COMMAND = "command"
    SYSTEM = "system"


LABELS = {
    ActorKind.USER: "user",
    ActorKind.TOKEN: "API token",
    ActorKind.COMMAND: "command line",
    ActorKind.SYSTEM: "system",
}


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    name: str = ""

    def __str__(self) -> str:
        return f"{LABELS[self.kind]} {self.name}".strip()


SYSTEM = Actor(ActorKind.SYSTEM)
COMMAND_LINE = Actor(ActorKind.COMMAND)

_current: ContextVar[Actor] = ContextVar("audit_actor", default=SYSTEM)


def user(person: Any) -> Actor:
    return Actor(ActorKind.USER, person.get_username())


def token(name: str) -> Actor:
    return Actor(ActorKind.TOKEN, name)


def current_actor() -> Actor:
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    reset = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(reset)


def act_as(actor: Actor) -> None:
    """Make ``actor`` the one acting until the enclosing ``acting_as`` ends (the
    middleware's, for a request)."""
    _current.set(actor)
