"""The web app's pages: sign-in, the portfolio at the root, accounts, imports,
surveys."""

from django.contrib.auth import views as auth_views
from django.urls import path

from scorecards.web import (
    account,
    audit,
    imports,
    inbox,
    people,
    portfolio,
    rules,
    scorecards,
    settings,
    surveys,
    work,
)

app_name = "web"

urlpatterns = [
    path("", portfolio.portfolio, name="accounts"),
    path("accounts.csv", portfolio.export, name="accounts-export"),
    path("views/", portfolio.save_view, name="save-view"),
    path("views/<int:view_id>/delete", portfolio.delete_view, name="delete-view"),
    path("work/", work.my_work, name="work"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:item_id>/read", inbox.mark_read, name="inbox-read"),
    path("inbox/read", inbox.mark_all_read, name="inbox-read-all"),
    path("alerts/<int:alert_id>/acknowledge", work.acknowledge_alert, name="ack"),
    path("alerts/<int:alert_id>/snooze", work.snooze_alert, name="snooze"),
    path("tasks/<int:task_id>/done", work.finish_task, name="task-done"),
    path("accounts/<str:key>/", account.account_page, name="account"),
    path("accounts/<str:key>/contacts", account.add_contact, name="add-contact"),
    path("accounts/<str:key>/qbrs", account.add_qbr, name="add-qbr"),
    path("accounts/<str:key>/plans", account.open_plan, name="open-plan"),
    path("accounts/<str:key>/override", account.override, name="override"),
    path("scorecards/", scorecards.scorecards, name="scorecards"),
    path("scorecards/new", scorecards.edit, name="new-scorecard"),
    path("scorecards/<str:key>/", scorecards.scorecard, name="scorecard"),
    path("scorecards/<str:key>/edit", scorecards.edit, name="edit-scorecard"),
    path("settings/", settings.index, name="settings"),
    path("settings/tokens/", settings.tokens, name="tokens"),
    path("settings/sources/", settings.sources, name="sources"),
    path("settings/people/", people.people, name="people"),
    path("settings/people/<int:user_id>", people.change, name="change-person"),
    path("settings/rules/", rules.rules, name="rules"),
    path("settings/rules/new", rules.edit_rule, name="new-rule"),
    path("settings/rules/<str:name>/", rules.edit_rule, name="rule"),
    path("settings/rules/<str:name>/delete", rules.delete_rule, name="delete-rule"),
    path("settings/playbooks/new", rules.edit_playbook, name="new-playbook"),
    path("settings/playbooks/<str:name>/", rules.edit_playbook, name="playbook"),
    path("settings/audit/", audit.audit_log, name="audit"),
    path("settings/audit.csv", audit.export, name="audit-export"),
    path("imports/", imports.imports, name="imports"),
    path("surveys/", surveys.surveys, name="surveys"),
    path("campaigns/", surveys.campaigns, name="campaigns"),
    path("campaigns/<int:campaign_id>/", surveys.campaign, name="campaign"),
    path("imports/<int:run_id>/", imports.import_run, name="import"),
    path("imports/<int:run_id>/rejects", imports.import_rejects, name="import-rejects"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
