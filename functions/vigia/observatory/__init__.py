"""What the observatory reads: the stack's own alerts beside other agencies' records, and police resources."""
