"""The wizard's steps in order: their names, and each step's index among them."""

STEP_NAMES = ("Data", "Instructions", "Output fields", "Model", "Review")
DATA, INSTRUCTIONS, FIELDS, MODEL, REVIEW = range(len(STEP_NAMES))
