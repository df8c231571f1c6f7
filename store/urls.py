from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from responders.views.public import csat

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:queue", permanent=False)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/search/", include("search.urls")),
    path("desk/", include("responders.urls")),
    path("reports/", include("reports.urls")),
    path("csat/<str:token>/", csat, name="csat"),
    path("admin/", admin.site.urls),
]
