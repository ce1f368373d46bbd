-- PostgreSQL's migration of this number adds `audit_append`, which appends
-- an audit event in one statement (one round trip to its server). SQLite
-- runs in the server's process: its appends stay in Rust
-- (store/src/sql/audit.rs) and need nothing here.
SELECT 1;
