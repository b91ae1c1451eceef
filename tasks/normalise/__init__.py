"""Normalise: field rules (URLs, titles, authors, dates, language, ids), site boilerplate."""
