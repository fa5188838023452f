"""The Starlette web archive. Arrives with the web issue; the core never imports it."""
