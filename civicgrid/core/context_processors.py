from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar needs: the user's role and scope label (no queries for anonymous users)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_scope_label": user.scope_label, "nav_role": user.get_role_display()}
