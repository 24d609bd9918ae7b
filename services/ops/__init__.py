"""Operating casework: backup and restore, moving stores, demo data."""
