"""The results store and its views."""
