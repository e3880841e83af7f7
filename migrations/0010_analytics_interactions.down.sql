DROP TABLE IF EXISTS analytics_salts, analytics_weeks, analytics_days, analytics_active_weeks, analytics_active_visitors,
    analytics_event_days, analytics_event_viewers, analytics_event_hours;
DROP TABLE IF EXISTS analytics_events CASCADE;
