DROP TABLE IF EXISTS analytics_salts, analytics_active_visitors, analytics_event_viewers, analytics_event_hours;
DROP TABLE IF EXISTS analytics_events CASCADE;
