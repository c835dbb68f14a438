"""Drugs: the library (data files with sources), pharmacokinetics, binding and pharmacogenomics."""
