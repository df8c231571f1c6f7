"""The project's URL configuration: the desk, reports, search, the CSAT page and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from responders.views.home import home
from responders.views.public import csat

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/search/", include("search.urls")),
    path("desk/", include("responders.urls")),
    path("reports/", include("reports.urls")),
    path("csat/<str:token>/", csat, name="csat"),
    path("admin/", admin.site.urls),
]
