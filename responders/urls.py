from django.urls import path

from responders.views import actions, bulk, metrics, queue, settings

app_name = "desk"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("next/", actions.take_next, name="next"),
    path("bulk/", bulk.bulk_action, name="bulk"),
    path("counters/", bulk.counters, name="counters"),
    path("tickets/<int:pk>/", queue.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/do/<slug:action>/", actions.ticket_action, name="action"),
    path("tickets/<int:pk>/assign/", actions.assign, name="assign"),
    path("tickets/<int:pk>/classification/", actions.correct_classification, name="correct"),
    path("tickets/<int:pk>/orders/", actions.link_order, name="link_order"),
    path("tickets/<int:pk>/heartbeat/", actions.heartbeat, name="heartbeat"),
    path("links/<int:link_id>/unlink/", actions.unlink_order, name="unlink_order"),
    path("replies/<int:reply_id>/posted/", actions.mark_posted, name="mark_posted"),
    path("metrics/", metrics.metrics, name="metrics"),
    path("settings/", settings.desk_settings, name="settings"),
]
