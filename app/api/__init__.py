"""The JSON API under /api/v1: one parent blueprint, one child per resource."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)
