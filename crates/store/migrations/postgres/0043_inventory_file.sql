-- SQLite moves the inventory's tables to a file of their own here (its
-- migration says why); PostgreSQL locks rows, not the database, and has
-- nothing to move. Both backends carry the same list of migrations.
SELECT 1;
