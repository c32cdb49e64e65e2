"""One module per ``shorewatch`` subcommand (see ``api.cli``)."""
