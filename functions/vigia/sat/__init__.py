"""SAT: Peñalolén's early warning of school dropout, with its case management (docs/prevention.md "SAT")."""
