"""`make bench`: how the service's costs grow, measured beside their floors."""
