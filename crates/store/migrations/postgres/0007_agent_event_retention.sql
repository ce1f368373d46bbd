-- Agent events are deleted past their retention (event_retention_days) by time.
CREATE INDEX agent_events_time ON agent_events(created_at);
