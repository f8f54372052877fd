"""Optional sign-in for a shared deployment (Streamlit's built-in OIDC login).

Off unless the deployment's secrets hold an ``[auth]`` section (see
docs/deployment.md), so the local demo needs no setup. Nothing about the user
is stored beyond Streamlit's identity cookie.
"""

from __future__ import annotations

import streamlit as st


def sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: a local, single-user run
        return False


def require_sign_in() -> None:
    """Stop the page until the user has signed in, when sign-in is configured."""
    if not sign_in_configured():
        return
    if not st.user.is_logged_in:
        st.title("Omalizumab in mast cell disorders")
        st.info("This dashboard holds pseudonymised patient data. Please sign in with your hospital account.")
        st.button("Sign in", on_click=st.login, type="primary")
        st.stop()
    st.sidebar.button("Sign out", on_click=st.logout)
