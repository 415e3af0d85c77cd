"""SQL implementations of the repository ports the services declare."""
