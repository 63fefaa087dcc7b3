"""Embeddable web widget: its static file, the demo partner page and the feedback route."""
