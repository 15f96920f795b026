"""django-axes hooks: what identifies a log-in attempt, and what a locked-out person sees."""

from __future__ import annotations

from django.shortcuts import render

from yijianshi.privacy.crypto import blind_index


def identifier_for_lockout(request, credentials) -> str:
    """The typed identifier (ID number, mobile or login name) as a keyed hash, so attempts against one account
    count together however it is typed, and the attempt log holds no personal number."""
    from yijianshi.accounts.backends import user_for_identifier

    typed = ((credentials or {}).get("username") or "").strip()
    user = user_for_identifier(typed) if typed else None
    if user is not None:
        return f"user:{user.pk}"
    return "unknown:" + blind_index(typed, "login")[:32]


def locked_out_response(request, credentials, *args, **kwargs):
    return render(request, "accounts/locked_out.html", status=429)
