"""Open311 GeoReport v2 under /open311/v2/ (format by suffix: .json or .xml) and the API key page /open311/keys/."""

from django.urls import path, register_converter

from . import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "fmt")

app_name = "open311"
urlpatterns = [
    path("v2/discovery.<fmt:fmt>", views.discovery, name="discovery"),
    path("v2/services.<fmt:fmt>", views.service_list, name="services"),
    path("v2/services/<str:code>.<fmt:fmt>", views.service_definition, name="service_definition"),
    path("v2/requests.<fmt:fmt>", views.service_requests, name="requests"),
    path("v2/requests/<str:request_id>.<fmt:fmt>", views.service_request, name="request"),
    path("v2/tokens/<str:token>.<fmt:fmt>", views.token, name="token"),
    path("keys/", views.api_keys, name="api_keys"),
    path("keys/<int:pk>/revoke/", views.revoke_api_key, name="revoke_api_key"),
]
