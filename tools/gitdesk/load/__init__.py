"""From a data repository on disk to a Repository: discover, read and parse, check, evaluate, lock."""
