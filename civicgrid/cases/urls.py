"""Staff pages over cases (login required): inbox, board, queue, detail with its actions, recording a case."""

from django.urls import path

from . import settings_views, views

app_name = "cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("board/", views.board, name="board"),
    path("queue/", views.queue, name="queue"),
    path("new/", views.new_case, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/step/<slug:name>/", views.step, name="step"),
    path("<int:pk>/extension/", views.extension_request, name="extension_request"),
    path("<int:pk>/extension/<int:ext_pk>/decide/", views.extension_decide, name="extension_decide"),
    path("<int:pk>/whistle/", views.whistle, name="whistle"),
    path("<int:pk>/whistle/<int:summons_pk>/report/", views.whistle_report, name="whistle_report"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo, name="photo"),
    # The street admin's settings: categories, working calendar, patrol checklist.
    path("settings/", settings_views.settings_page, name="settings"),
    path("settings/categories/new/", settings_views.category_add, name="category_add"),
    path("settings/categories/<int:pk>/", settings_views.category_edit, name="category_edit"),
    path("settings/calendar/", settings_views.calendar_edit, name="calendar_edit"),
    path("settings/checklist/new/", settings_views.checklist_add, name="checklist_add"),
    path("settings/checklist/<int:pk>/", settings_views.checklist_edit, name="checklist_edit"),
]
