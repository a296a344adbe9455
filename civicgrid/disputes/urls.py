from django.urls import path

from . import views

app_name = "disputes"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/session/", views.add_session, name="add_session"),
    path("<int:pk>/conclude/", views.conclude, name="conclude"),
    path("<int:pk>/agreement/", views.agreement, name="agreement"),
    path("screening/", views.screening_status, name="screening"),
]
