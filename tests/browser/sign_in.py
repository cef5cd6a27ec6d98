"""Signing in to the dashboard the way a person does, for the browser tests."""


def sign_in(page, base: str, username: str, password: str) -> None:
    """Open the dashboard, submit the sign-in form and wait for the sessions list."""
    page.goto(base + "/dashboard")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#sessions")
