"""Otklik's system of record: Django settings and the shared domain models."""
