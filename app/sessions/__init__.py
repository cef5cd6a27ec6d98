"""Browsing, editing, deleting, inspecting and exporting one user's recording sessions."""
