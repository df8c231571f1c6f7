"""Otklik's Scrapy project: one spider per channel kind, pipelines that hand items to the store."""
