"""`make bench`: seeds a database, serves the app under gunicorn, measures it against references."""
