"""Operating the platform: the dashboard over every stack's moving parts."""
