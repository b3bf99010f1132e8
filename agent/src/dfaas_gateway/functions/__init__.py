"""The built-in functions that this runtime really executes."""
