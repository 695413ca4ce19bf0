"""Recipes and selectors: loading and validating the YAML files IT staff write."""
