"""Import and export of networks (SBML)."""
