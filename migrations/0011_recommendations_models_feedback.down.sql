DROP TABLE IF EXISTS recommendation_feedback, recommendation_models;
