"""The PDF booklet: the reading edition (laid out in parts) and the print edition imposed from it."""
