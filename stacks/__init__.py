"""One module per stack. A stack wires constructs together; resource detail lives in constructs/."""
