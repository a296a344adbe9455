from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.CivicLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("me/", views.resident_home, name="resident_home"),
    path("link-requests/", views.link_requests, name="link_requests"),
    path("link-requests/<int:pk>/decide/", views.decide_link_request, name="decide_link_request"),
    path("users/", views.users, name="users"),
]
