"""Accounts for page tests, made through the services exactly as the platform makes them."""

from __future__ import annotations

import itertools

from django.test import Client
from stdnum.cn import ric

from yijianshi.accounts.services import GrantSpec, resident_sign_up, staff_account_create, system_admin_bootstrap
from yijianshi.organizations.models import Department, ServicePoint

PASSWORD = "Qingjian-test-2026"
_serial = itertools.count(1)


def id_number(birth: str = "19800101") -> str:
    """A valid synthetic 清涧县 ID number, different on every call."""
    base = f"610830{birth}{next(_serial) % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def mobile() -> str:
    return f"139{next(_serial):08d}"


def department(code: str = "rsj") -> Department:
    return Department.objects.get(code=code)


def service_point(code: str = "county-hall") -> ServicePoint:
    return ServicePoint.objects.get(code=code)


def system_admin(username: str = "admin"):
    return system_admin_bootstrap(username=username, name="王建国", id_number=id_number("19800101"),
                                  mobile=mobile(), password=PASSWORD)


def staff(admin, username: str, role: str, *, name: str = "刘明", department_code: str | None = None,
          point_code: str | None = None):
    grant = GrantSpec(role, department(department_code).pk if department_code else None,
                      service_point(point_code).pk if point_code else None)
    return staff_account_create(user=admin, username=username, name=name, id_number=id_number("19900520"),
                                mobile=mobile(), password=PASSWORD, grants=[grant])


def window_clerk(admin, username: str = "clerk"):
    return staff(admin, username, "window_clerk", name="刘明", point_code="county-hall")


def helper(admin, username: str = "helper"):
    return staff(admin, username, "helper", name="周丽", point_code="county-hall")


def supervisor(admin, username: str = "supervisor"):
    return staff(admin, username, "supervisor", name="孙伟")


def resident(name: str = "张桂兰", number: str | None = None, phone: str | None = None):
    return resident_sign_up(name=name, id_number=number or id_number("19400101"), mobile=phone or mobile(),
                            password=PASSWORD)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
