"""The workflows of nictbw, each running inside a unit of work it is given."""
