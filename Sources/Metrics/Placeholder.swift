// Metrics: see README
