from django.db import migrations

# Leads keep the company's monthly active-customer counts (the claim rate's denominator) in the admin.
LEAD_PERMS = ("add_activecustomers", "change_activecustomers", "view_activecustomers")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("responders")
    app_config.models_module = True  # permissions are normally created after migrate; make them now
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    lead = Group.objects.get(name="lead")
    lead.permissions.add(*Permission.objects.filter(content_type__app_label="responders", codename__in=LEAD_PERMS))


class Migration(migrations.Migration):
    dependencies = [("responders", "0007_active_customers")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
