"""Every state change of the archive: views, the CLI and background jobs all call these."""
