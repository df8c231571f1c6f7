"""Prefect flows: thin wiring of the crawl, classify, route and report services."""
