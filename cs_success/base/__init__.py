"""The base layer: plumbing every domain may use and none owns.

Isolation of our work inside a host transaction (isolation.py), the after-commit queue (queue.py), bulk
inserts (bulk.py), the Helpdesk customer mapping (helpdesk.py), who a portal user is (portal.py), free
text made inert (text.py), the webhook client (webhooks.py), Deleted Document copies (archive.py), who may see which customers
and revenue (permissions.py) and the app's role names (roles.py).
It imports nothing of the app above `engine`."""
