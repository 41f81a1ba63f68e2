# Read by the `flask` command only (not by gunicorn): a checkout runs in development mode.
# Production sets COUNTERPOINT_ENV=production (the default without this file) and SECRET_KEY.
FLASK_APP=wsgi
COUNTERPOINT_ENV=development
