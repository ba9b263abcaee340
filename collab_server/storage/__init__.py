"""PostgreSQL through asyncpg. SQL sits beside the queries that use it."""
