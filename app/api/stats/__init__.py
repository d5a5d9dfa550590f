"""System statistics."""
