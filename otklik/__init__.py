"""Otklik: review and social listening pipeline for a delivery company."""

__version__ = "0.1.0"
