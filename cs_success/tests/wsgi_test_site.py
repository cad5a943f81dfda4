"""Tests only: Frappe's WSGI application for gunicorn in browser and HTTP tests, pinned to one site
and serving /assets and /files itself, as nginx does in production.

Requests to 127.0.0.1:<port> carry no site name in their Host; `frappe serve --site` pins it the same
way. Nothing in the app imports this module."""

import os

import frappe.app

frappe.app._site = os.environ["CS_TEST_SITE"]
application = frappe.app.application_with_statics()
