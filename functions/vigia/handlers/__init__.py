"""Lambda entry points, one module per function of template.yaml; doorways, not rooms."""
