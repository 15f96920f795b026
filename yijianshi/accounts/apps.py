from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yijianshi.accounts"
    verbose_name = "账号、身份与授权"
