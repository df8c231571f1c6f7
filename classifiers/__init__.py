"""Sentiment and complaint-topic classification for Otklik (no Django imports here)."""
