from django.apps import AppConfig
from django.core import checks


class HotlineConfig(AppConfig):
    name = "yijianshi.hotline"
    verbose_name = "12345 热线"

    def ready(self):
        checks.register(time_limits_check)


def time_limits_check(app_configs=None, **kwargs):
    """The time-limit file is checked when the server starts (and by `manage.py check`): a broken edit is refused
    at deployment rather than at the next caller's ticket."""
    from yijianshi.hotline import time_limits

    try:
        time_limits.load(time_limits.path())
    except time_limits.TimeLimitError as exc:
        return [checks.Error(error, id="hotline.E001") for error in exc.errors]
    return []
