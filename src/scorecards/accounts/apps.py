from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "scorecards.accounts"
    label = "accounts"
    verbose_name = "Accounts"
