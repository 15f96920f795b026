"""Staff roles and what each may do. The one table of rights; permissions.py enforces it.

A role is granted to a staff account for a department or a service point (its scope). Rights marked
DEPARTMENT_SCOPED apply only to objects of the departments the role is granted for.
"""

from django.db import models


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", "综合窗口人员"
    DEPARTMENT_OFFICER = "department_officer", "部门经办人"
    DEPARTMENT_LEADER = "department_leader", "部门审批负责人"
    HOTLINE_OPERATOR = "hotline_operator", "12345 话务员"
    SUPERVISOR = "supervisor", "效能监督员"
    CATALOG_ADMIN = "catalog_admin", "事项库管理员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    HELPER = "helper", "帮办代办员"


R = Role
# permission -> roles holding it. Add a permission here before checking it anywhere.
PERMISSIONS: dict[str, set[Role]] = {
    "case.accept": {R.WINDOW_CLERK},                                    # 一窗受理 for walk-in applicants
    "task.process": {R.DEPARTMENT_OFFICER, R.DEPARTMENT_LEADER},        # claim, handle, return a task
    "task.approve": {R.DEPARTMENT_LEADER},                              # sign off a department's decision
    "hotline.intake": {R.HOTLINE_OPERATOR},
    "hotline.dispatch": {R.HOTLINE_OPERATOR},
    "hotline.handle": {R.DEPARTMENT_OFFICER, R.DEPARTMENT_LEADER},       # a department works its tickets
    "hotline.extend": {R.DEPARTMENT_LEADER},
    "hotline.supervise": {R.SUPERVISOR},                                # 督办, reopen or close after a bad rating
    "supervision.view": {R.SUPERVISOR},                                 # efficiency dashboard, 督办
    "audit.view": {R.SUPERVISOR, R.SYSTEM_ADMIN},
    "catalog.edit": {R.CATALOG_ADMIN},
    "staff.manage": {R.SYSTEM_ADMIN},
    "enterprise.change_representative": {R.SYSTEM_ADMIN},               # from the market regulator's data
    "person.lookup": {R.WINDOW_CLERK, R.HELPER, R.DEPARTMENT_OFFICER, R.DEPARTMENT_LEADER, R.SUPERVISOR},
    # Seeing a full ID or phone number of someone else: only with a stated purpose, and audited.
    "personal_data.reveal": {R.WINDOW_CLERK, R.DEPARTMENT_OFFICER, R.DEPARTMENT_LEADER, R.SUPERVISOR},
    "mandate.act_as_helper": {R.HELPER},                                # be chosen by residents as 帮办代办员
    "certificate.manage": {R.DEPARTMENT_LEADER},                        # suspend, reinstate, revoke 电子证照
    # 一人一档 / 一企一档: feed the elements one's department is the authoritative source of (一数一源), and read
    # profiles under the sharing catalogue (共享责任清单), each read audited.
    "profile.feed": {R.DEPARTMENT_OFFICER, R.DEPARTMENT_LEADER},
    "profile.read": {R.DEPARTMENT_OFFICER, R.DEPARTMENT_LEADER},
    # The hall, scoped to the service point the role is granted for (checked in hall.services).
    "hall.window": {R.WINDOW_CLERK},                                    # call, serve, transfer at its windows
    "hall.help": {R.HELPER},                                            # help requests, its 帮办代办 window
}

DEPARTMENT_SCOPED = {"task.process", "task.approve", "hotline.handle", "hotline.extend", "certificate.manage",
                     "profile.feed", "profile.read"}
