"""`python -m bulwark` is the `bulwark` command."""

from bulwark.cli import main

main(prog_name="bulwark")
