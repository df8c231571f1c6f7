"""Search and analytics index over mentions: Elasticsearch at scale, the database's own full-text search by default."""
