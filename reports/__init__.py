"""Topic reports and alerts for marketers and service leads."""
