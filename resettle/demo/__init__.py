"""Loading the synthetic demo camp into the database."""
