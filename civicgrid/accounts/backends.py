"""Log in with a username (staff) or a phone number (residents), looked up by its keyed digest."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from civicgrid.core import crypto

from .models import User


class UsernameOrPhoneBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or not password:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.filter(phone_digest=crypto.digest(username)).first()
        if user is None:
            User().set_password(password)  # same time as a wrong password: no user enumeration by timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    # Permissions come from django-rules (each app's rules.py), never from Django's permission tables. Answering
    # none here spares the two permission-table queries Django would otherwise run on every page that asks about
    # a permission the user's role lacks (the navigation asks about several).
    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()
