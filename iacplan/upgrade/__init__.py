"""The upgrade plan: ordered steps for one change."""
