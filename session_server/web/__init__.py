"""The web adapter: Starlette routes, Jinja2 pages, live fragments over WebSockets."""
