"""Run only by tests/test_postgres_names.py in a child pytest on PostgreSQL: print the test database's name."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_print_the_test_database_name():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        print("TEST-DATABASE", cursor.fetchone()[0])
