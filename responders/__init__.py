"""The responder: moderators' queue, SLA clocks, order linking, reply templates and the web desk."""
