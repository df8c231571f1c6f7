from django.db import migrations

# Leads edit reply templates and the desk settings in the admin; moderators and marketers do not use the admin.
LEAD_PERMS = ("add_replytemplate", "change_replytemplate", "view_replytemplate", "change_desksettings",
              "view_desksettings", "view_ticket", "view_slanotification")


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
    dependencies = [("responders", "0003_desk_workflow"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
