"""Browsing, editing, deleting and inspecting one user's recording sessions."""
