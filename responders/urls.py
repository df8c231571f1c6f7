from django.urls import path

from responders.views import queue

app_name = "desk"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("tickets/<int:pk>/", queue.ticket_detail, name="ticket"),
]
