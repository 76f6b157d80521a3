"""Runtime: keeps each dialogue's state in step with its event log."""
