"""`dango` subcommands, one module each; shared output helpers in `output.py`."""
