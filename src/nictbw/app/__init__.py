"""The application layer: workflows, container, command line and simulation."""
