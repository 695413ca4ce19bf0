"""Getting applications into the management database: files staff export from elsewhere."""
