"""Publishing a build: validating the outputs, swapping them in whole, the report and manifest."""
