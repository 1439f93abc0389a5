"""`python -m orbitgrid` runs the command-line interface."""

from orbitgrid.cli import main

main()
