"""Collect: fetch the day's news politely into the raw zone as WARC."""
