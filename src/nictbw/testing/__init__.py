"""Public test kit for hosts of nictbw."""
