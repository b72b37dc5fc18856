"""Hot-spot patrols: schedules of fixed points and quadrant patrols, check-ins, dosage and surveys."""
