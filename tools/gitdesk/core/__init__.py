"""Records and rules: the domain core. Imports nothing above it and touches no file, process, git or clock."""
