"""The local stack in two halves: `engine/` runs any SAM template; the modules beside it wire in Vigía."""
