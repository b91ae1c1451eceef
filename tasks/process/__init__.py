"""Process: the driver of one crawl date: planning, killable workers, staging, atomic commit."""
