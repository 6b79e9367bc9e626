"""Each kind of source's settings, checked when they are set, never at use.

Settings come from a YAML (or JSON) file given to ``scorecards source``; a bad
one is refused with every problem named by its path in the file.
"""

from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from scorecards.api.errors import describe
from scorecards.lib.secrets import SecretRef

Name = Annotated[str, Field(min_length=1, max_length=200)]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DelightedSettings(Settings):
    """A Delighted survey response: the account from a person property, the
    contact from another one, or else by the person's email."""

    metric: Name = "nps"
    account_property: Name = "account"
    contact_property: Name | None = None


class TypeformSettings(Settings):
    """A Typeform response: the NPS answer found by its field's ref, the account
    and contact in hidden fields."""

    metric: Name = "nps"
    nps_field_ref: Name = "nps"
    account_field: Name = "account"
    contact_field: Name = "contact"


class ActivityRule(Settings):
    """Events turned into one daily metric per account.

    ``count`` counts the events, ``distinct_users`` counts the users who sent
    any of them, ``sum`` adds up a numeric ``property`` of them; each over the
    ``days`` ending with the day (1 for the day alone, 7 for a trailing week).
    """

    metric: Name
    aggregate: Literal["count", "distinct_users", "sum"]
    events: list[Name] = Field(default_factory=lambda: ["*"], min_length=1)
    property: Name | None = None
    days: int = Field(default=1, ge=1, le=90)

    @model_validator(mode="after")
    def _property_for_sums(self) -> "ActivityRule":
        if self.aggregate == "sum" and not self.property:
            raise ValueError("a sum needs the property to add up")
        return self


class SegmentSettings(Settings):
    """Segment-style calls: ``group`` ties a user to the account whose key is the
    groupId, or the group trait named by ``account_trait``."""

    account_trait: Name | None = None
    rules: list[ActivityRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_rule_per_metric(self) -> "SegmentSettings":
        metrics = [rule.metric for rule in self.rules]
        repeated = sorted({m for m in metrics if metrics.count(m) > 1})
        if repeated:
            raise ValueError(f"more than one rule makes {', '.join(repeated)}")
        return self


class SalesforceLogin(Settings):
    """How to sign in: a user's password and security token, or an OAuth
    connected app's client credentials (which needs a My Domain, e.g.
    ``acme.my``)."""

    method: Literal["password", "client_credentials"] = "password"
    domain: Name = "login"
    version: Annotated[str, Field(pattern=r"^\d+\.\d$")] = "59.0"
    username: Name | None = None
    password: SecretRef | None = None
    security_token: SecretRef | None = None
    consumer_key: Name | None = None
    consumer_secret: SecretRef | None = None

    @model_validator(mode="after")
    def _complete(self) -> "SalesforceLogin":
        if self.method == "password":
            wanted = ("username", "password", "security_token")
        else:
            wanted = ("consumer_key", "consumer_secret")
        missing = [name for name in wanted if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.method} login needs {', '.join(missing)}")
        if self.method == "client_credentials" and self.domain in ("login", "test"):
            raise ValueError("client_credentials login needs your My Domain")
        return self


class AccountFields(Settings):
    """Which Account fields fill which of ours; ``key`` is the account's key."""

    key: Name = "Id"
    name: Name = "Name"
    segment: Name | None = "Type"
    tier: Name | None = None
    arr: Name | None = "AnnualRevenue"
    renewal_date: Name | None = None
    csm_owner_email: bool = True
    attributes: dict[Name, Name] = Field(default_factory=dict)


class ContactFields(Settings):
    """Which Contact fields fill which of ours. The role comes from ``role`` (a
    Contact field) or, left out, from AccountContactRole."""

    sync: bool = True
    key: Name = "Id"
    role: Name | None = None
    roles: dict[Name, Name] = Field(
        default_factory=dict,
        description="Salesforce role -> ours, e.g. Economic Buyer: decision_maker",
    )


class MetricQuery(Settings):
    """A SOQL query turned into one value per account: its records grouped by
    ``account_field``, then counted, or their ``field`` summed, taken at its
    least, greatest or latest, or as the days since its latest date."""

    metric: Name
    soql: Annotated[str, Field(min_length=10, max_length=4000)]
    account_field: Name = "AccountId"
    aggregate: Literal["count", "sum", "min", "max", "latest", "days_since"]
    field: Name | None = None
    values: dict[str, float] | None = None

    @model_validator(mode="after")
    def _field_when_needed(self) -> "MetricQuery":
        if self.aggregate != "count" and not self.field:
            raise ValueError(f"{self.aggregate} needs the field to read")
        return self


class OutcomeQuery(Settings):
    """Closed renewal opportunities as outcomes: the stage of each record says
    what became of its account, on the date in ``date_field``."""

    soql: Annotated[str, Field(min_length=10, max_length=4000)] = (
        "SELECT Id, AccountId, StageName, CloseDate FROM Opportunity "
        "WHERE Type = 'Renewal' AND IsClosed = true"
    )
    account_field: Name = "AccountId"
    stage_field: Name = "StageName"
    date_field: Name = "CloseDate"
    stages: dict[Name, Literal["renewal", "churn", "downgrade", "expansion"]] = Field(
        default_factory=lambda: {"Closed Won": "renewal", "Closed Lost": "churn"},
        description="stage -> outcome; records at any other stage are passed over",
    )


class SalesforceSettings(Settings):
    login: SalesforceLogin
    every_minutes: int = Field(default=60, ge=5, le=1440)
    accounts: AccountFields = Field(default_factory=AccountFields)
    contacts: ContactFields = Field(default_factory=ContactFields)
    metrics: list[MetricQuery] = Field(default_factory=list)
    outcomes: OutcomeQuery | None = None


SCHEMAS: dict[str, type[Settings]] = {
    "delighted": DelightedSettings,
    "typeform": TypeformSettings,
    "segment": SegmentSettings,
    "salesforce": SalesforceSettings,
}


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def check_settings(kind: str, data: Any) -> dict[str, Any]:
    """``data`` as ``kind``'s settings, defaults filled in; SettingsError lists
    every problem by its path."""
    if data is None:
        data = {}
    try:
        settings = SCHEMAS[kind].model_validate(data)
    except pydantic.ValidationError as error:
        problems = []
        for problem in error.errors(include_url=False):
            path = ".".join(str(part) for part in problem["loc"]) or "settings"
            problems.append(f"{path}: {describe(problem)}")
        raise SettingsError(problems) from None
    return settings.model_dump(mode="json")
