"""The app's roles by name, and which of them count as managers: the one place for these strings in
Python. (Doctype JSON permissions name the roles themselves; tests/test_registries.py ties them to
these.) Free of Frappe, so tier-1 tests can read it."""

CS_MANAGER = "CS Manager"
CS_AGENT = "CS Agent"
# Frappe's own administrator role: whatever a CS Manager may do, a System Manager may too.
SYSTEM_MANAGER = "System Manager"

# The roles the app ships: install creates those the site lacks, uninstall removes only those.
ROLES = (CS_MANAGER, CS_AGENT)
# Who configures, overrides a score and changes any play run.
MANAGER_ROLES = (CS_MANAGER, SYSTEM_MANAGER)
