"""The static demo site (web/*.html, web/js/) and the Python tools around it: serve, bench, convert_tfjs."""
