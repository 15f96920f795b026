from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yijianshi.space.selectors import space_for


@login_required
@require_GET
def home(request):
    if getattr(request.user, "person", None) is None or request.acting is None:
        return render(request, "accounts/no_person.html")  # staff or system accounts, as on 账号与身份
    return render(request, "space/home.html", {"space": space_for(request.user, request.acting)})
