"""The ``imagineo`` command's parts: option table, terminal output, download, batch. The entry point is `imagineo.cli`.

Nothing here is imported by ``import imagineo``; rich is imported only inside the functions that draw on a terminal.
"""
