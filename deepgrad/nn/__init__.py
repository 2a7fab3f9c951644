"""Neural-network modules (in progress)."""
